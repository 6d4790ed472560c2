/**
 * The post-mortem draft.
 *
 * The golden file test/fixtures/postmortem/seed.md is compared byte for byte. After a deliberate
 * change to the draft, regenerate it and review the diff before committing:
 *
 *   UPDATE_GOLDEN=1 npx vitest run test/unit/postmortem.test.ts
 *
 * Without UPDATE_GOLDEN a missing golden fails the test.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Assessment, Finding, Mitigation } from '../../src/domain/diagnostics.js';
import { IncidentAlert } from '../../src/domain/incident.js';
import { TimelineEvent, type TimelineKind } from '../../src/domain/timeline.js';
import { isAppError } from '../../src/errors.js';
import { cell, code, escapePipes } from '../../src/workflows/postmortem/markdown.js';
import { renderPostmortem, SECTION_TITLES, type PostmortemInput } from '../../src/workflows/postmortem/render.js';
import { alert, incident, proposal, seedInput, timeline as seedTimeline } from '../fixtures/postmortem/seed.js';

const GOLDEN = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/postmortem/seed.md');

// ---------------------------------------------------------------------------------------------
// Reading the Markdown back

/** The text of one `## ` section (without its heading), up to the next `## `. */
function section(md: string, title: string): string {
  const lines = md.split('\n');
  const start = lines.indexOf(`## ${title}`);
  if (start < 0) throw new Error(`no section ${title}`);
  const end = lines.findIndex((l, i) => i > start && l.startsWith('## '));
  return lines.slice(start + 1, end < 0 ? undefined : end).join('\n');
}

/** GFM row split: a pipe ends a cell unless an odd number of backslashes stands before it. */
function splitRow(line: string): string[] {
  const cells: string[] = [];
  let current = '';
  let slashes = 0;
  for (const ch of line.trim().slice(1)) {
    if (ch === '|' && slashes % 2 === 0) {
      cells.push(current.trim());
      current = '';
    } else current += ch;
    slashes = ch === '\\' ? slashes + 1 : 0;
  }
  return cells;
}

/** Rows of the first table in `text`, header and delimiter row left out. */
function tableRows(text: string): string[][] {
  const lines = text.split('\n').filter((l) => l.startsWith('|'));
  return lines.slice(2).map(splitRow);
}

/** The Markdown with every code span taken out (what is left is what Slack or a browser would interpret). */
function outsideCode(md: string): string {
  return md.replace(/(?<!`)(`+)(?!`)[\s\S]*?(?<!`)\1(?!`)/g, '');
}

function ev(at: string, kind: TimelineKind, actor: string, text: string, data?: Record<string, unknown>): TimelineEvent {
  return TimelineEvent.parse({ at, kind, actor, text, ...(data ? { data } : {}) });
}

function minimal(overrides: Partial<PostmortemInput>): PostmortemInput {
  return seedInput({ alerts: [], assessment: undefined, proposals: [], timeline: [], links: undefined, ...overrides });
}

// ---------------------------------------------------------------------------------------------

describe('renderPostmortem: the seed incident', () => {
  it('matches the golden file exactly', () => {
    const md = renderPostmortem(seedInput());
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(GOLDEN, md);
    if (!existsSync(GOLDEN)) {
      throw new Error(`golden file missing: ${GOLDEN}. Create it deliberately with UPDATE_GOLDEN=1 npx vitest run test/unit/postmortem.test.ts`);
    }
    expect(md).toBe(readFileSync(GOLDEN, 'utf8'));
  });

  it('has the title with the draft marker, then the sections in order', () => {
    const md = renderPostmortem(seedInput());
    expect(md.split('\n')[0]).toBe('# Post-mortem: INC-42 k8s-api-prod-core-7db0ccf2c3-target-response-time in ALARM (draft)');
    const headings = md.split('\n').filter((l) => l.startsWith('## ')).map((l) => l.slice(3));
    expect(headings).toEqual([...SECTION_TITLES]);
    expect(md).toMatch(/^\*\*Status:\*\* resolved · \*\*Severity:\*\* SEV2/m);
  });

  it('is the same document whatever order the store returned the events in, as long as equal times keep their order', () => {
    const golden = renderPostmortem(seedInput());
    const groups = new Map<string, TimelineEvent[]>();
    for (const e of seedTimeline) groups.set(e.at, [...(groups.get(e.at) ?? []), e]);
    const keys = [...groups.keys()];
    fc.assert(
      fc.property(fc.shuffledSubarray(keys, { minLength: keys.length, maxLength: keys.length }), (order) => {
        const timeline = order.flatMap((k) => groups.get(k) ?? []);
        expect(renderPostmortem(seedInput({ timeline }))).toBe(golden);
      }),
      { numRuns: 20 },
    );
  });

  it('lists every event in time order, in UTC and Europe/Berlin with the date', () => {
    const rows = tableRows(section(renderPostmortem(seedInput()), 'Timeline'));
    expect(rows).toHaveLength(seedTimeline.length);
    const utc = rows.map((r) => r[0] ?? '');
    expect([...utc].sort()).toEqual(utc);
    for (const r of rows) {
      expect(r).toHaveLength(4);
      expect(r[0]).toMatch(/^2026-11-21 \d\d:\d\d:\d\d$/);
      expect(r[1]).toMatch(/^2026-11-21 \d\d:\d\d:\d\d CET$/);
    }
    expect(rows[0]).toEqual(['2026-11-21 04:12:00', '2026-11-21 05:12:00 CET', 'cloudwatch', 'ALARM (1 of 9): TargetResponseTime Average above 0.8 s for 2 datapoints']);
  });

  it('gives the figures: impact window, detect, acknowledge, mitigate, resolve', () => {
    const impact = section(renderPostmortem(seedInput()), 'Impact');
    expect(impact).toContain('- **Impact window:** 2026-11-21 04:12:00 UTC (2026-11-21 05:12:00 CET) to 2026-11-21 09:18:00 UTC (2026-11-21 10:18:00 CET), 5h 6m');
    const byName = new Map(tableRows(impact).map((r) => [r[0], r]));
    expect(byName.get('Detect')?.[2]).toBe('4s');
    expect(byName.get('Acknowledge')?.[2]).toBe('7m 26s');
    expect(byName.get('Mitigate')?.slice(2)).toEqual(['5h 9m', '2026-11-21 09:21:40', '2026-11-21 10:21:40 CET']);
    expect(byName.get('Resolve')?.[2]).toBe('5h 27m');
  });

  it('names the roles, earlier role holders, approvers and the people in the timeline as mentions', () => {
    const p = section(renderPostmortem(seedInput()), 'Participants and roles');
    expect(p).toContain('- **Commander:** <@U01ONCALL>');
    expect(p).toContain('- **Comms:** <@U03COMMS> (earlier: <@U01ONCALL>)');
    expect(p).toContain('- **Scribe:** _not assigned_');
    expect(p).toContain('- **Approvers:** <@U02LEAD>');
    expect(p).toContain('<@U04DATA> (2 entries)');
  });

  it('ranks hypotheses by score, ties in assessment order, and shows what refuted each with its query and numbers', () => {
    const md = renderPostmortem(seedInput());
    const f = section(md, 'Findings and hypotheses');
    const titles = [...f.matchAll(/^\d+\. \*\*(.+?)\*\*/gm)].map((m) => m[1]);
    expect(titles).toEqual([
      'Per-pod CPU ceiling: one worker per pod saturates near one core',
      'The HPA cannot react to the bursts',
      'Regression from deploy v1.14.3-prod',
      'Per-pod load imbalance from round-robin balancing',
      'Low-traffic statistical artifact',
      'Shared ALB or ingress slowness',
      'Memory pressure',
    ]);
    const refuted = f.slice(f.indexOf('### Refuted'), f.indexOf('### Inconclusive'));
    expect(refuted).toContain('Refuted by: Deploy v1.14.3-prod came after the flapping began');
    expect(refuted).toContain('- Query: `list ReplicaSets -n default -l app=data-service (revision, image, creationTimestamp)`');
    expect(refuted).toContain('deployed_at 2026-11-21T08:50:12Z · first_flap 2026-11-21T04:12:00Z');
    expect(refuted).toContain('pods 4 · min_cores 0.5 · max_cores 0.95');
    expect(f).toContain('### Other findings');
  });

  it('describes the mitigation with its requester, approver and rule, execution and verification', () => {
    const m = section(renderPostmortem(seedInput()), 'Mitigations');
    expect(m).toContain('### 1. Change HPA `default/data-service`: CPU target to 50%, max replicas to 10');
    expect(m).toContain('- **Approved by:** <@U02LEAD> at 2026-11-21 09:09:12 UTC under rule `prod-sre-approvers`');
    expect(m).toContain('- **Executed:** 2026-11-21 09:09:15 UTC (2026-11-21 10:09:15 CET)');
    expect(m).toContain('- **Verification:** verified at 2026-11-21 09:21:40 UTC');
    expect(tableRows(m)).toEqual([
      ['`spec.targetCPUUtilizationPercentage`', '80', '50'],
      ['`spec.maxReplicas`', '7', '10'],
    ]);
  });

  it('drafts contributing factors from the supported hypotheses only, with room for more', () => {
    const c = section(renderPostmortem(seedInput()), 'Contributing factors');
    const items = c.split('\n').filter((l) => l.startsWith('- '));
    expect(items).toHaveLength(3);
    expect(items[0]).toMatch(/^- Per-pod CPU ceiling/);
    expect(items[1]).toMatch(/^- The HPA cannot react/);
    expect(items[2]).toBe('- _To be filled in by the team._');
  });

  it('lists action items from the timeline, the noted readiness-probe finding, and a placeholder', () => {
    const rows = tableRows(section(renderPostmortem(seedInput()), 'Action items'));
    expect(rows.map((r) => r[1])).toEqual([
      'Add a readiness probe that reflects worker saturation, not just /health',
      'Alarm on p99 beside Average for TargetResponseTime \\| keep the Average alarm for paging',
      'Raise data-service workers to 2 and the CPU limit to 2000m (v1.14.4)<br>memory request to 5Gi',
      'Follow up: Deployment data-service has no readiness probe',
      '_To be filled in by the team._',
    ]);
    expect(rows[0]?.[2]).toBe('<@U04DATA>');
    expect(rows[1]?.[2]).toBe('_owner_');
    // Info findings nobody cited (no node pressure) are not action items.
    expect(rows.some((r) => (r[1] ?? '').includes('node pressure'))).toBe(false);
  });

  it('uses blameless wording of its own', () => {
    const md = renderPostmortem(seedInput());
    expect(md).toContain('This is a blameless review');
    expect(md).not.toMatch(/\bbroke\b|\bblamed?\b|\bfault of\b|\bwho caused\b/i);
  });
});

describe('renderPostmortem: time zones', () => {
  const dstTimeline = [
    ev('2026-10-25T00:30:00Z', 'incident.opened', 'warroom', 'before the change'),
    ev('2026-10-25T01:30:00Z', 'incident.acknowledged', 'U1', 'after the change'),
    ev('2026-11-01T05:30:00Z', 'incident.update', 'U1', 'before the US change'),
    ev('2026-11-01T06:30:00Z', 'incident.update', 'U1', 'after the US change'),
    ev('2026-11-21T23:30:00Z', 'incident.resolved', 'U1', 'late evening UTC'),
  ];
  const local = (tz: string): string[] => tableRows(section(renderPostmortem(minimal({ timeline: dstTimeline, timezone: tz })), 'Timeline')).map((r) => r[1] ?? '');

  it('Europe/Berlin: the same wall-clock 02:30 twice on 25 October, CEST then CET, and the next day after midnight', () => {
    expect(local('Europe/Berlin')).toEqual([
      '2026-10-25 02:30:00 CEST',
      '2026-10-25 02:30:00 CET',
      '2026-11-01 06:30:00 CET',
      '2026-11-01 07:30:00 CET',
      '2026-11-22 00:30:00 CET',
    ]);
  });

  it('America/New_York: 01:30 EDT then 01:30 EST on 1 November', () => {
    expect(local('America/New_York')).toEqual([
      '2026-10-24 20:30:00 EDT',
      '2026-10-24 21:30:00 EDT',
      '2026-11-01 01:30:00 EDT',
      '2026-11-01 01:30:00 EST',
      '2026-11-21 18:30:00 EST',
    ]);
  });

  it('UTC: the local column equals the UTC one', () => {
    const rows = tableRows(section(renderPostmortem(minimal({ timeline: dstTimeline, timezone: 'UTC' })), 'Timeline'));
    for (const r of rows) expect(r[1]).toBe(`${r[0]} UTC`);
    expect(renderPostmortem(minimal({ timeline: dstTimeline, timezone: 'UTC' }))).toContain('| Time (UTC) | Time (UTC) | Who | What |');
  });

  it('refuses an unknown zone with a config error', () => {
    let caught: unknown;
    try {
      renderPostmortem(minimal({ timezone: 'Mars/Olympus_Mons' }));
    } catch (e) {
      caught = e;
    }
    expect(isAppError(caught) && caught.code === 'config').toBe(true);
  });
});

describe('renderPostmortem: hostile input', () => {
  const hostile = IncidentAlert.parse({
    ...alert,
    name: '<!here> DiskFull | on\nnode-1',
    labels: { team: '<!channel>', owner: 'ping <@U999EVIL> now', group: '<!subteam^S0123|sre>', tick: 'a`<!everyone>`b', bare: '@channel please' },
    annotations: { summary: 'see <@U999EVIL> and <!channel>', runbook: '<script>alert(1)</script>' },
    links: [{ title: 'click', url: 'javascript:alert(1)' }],
  });
  const input = seedInput({
    alerts: [hostile],
    timeline: [
      ...seedTimeline,
      ev('2026-11-21T09:30:00Z', 'alert.firing', 'alertmanager', 'labels: team=<!channel> owner=<@U999EVIL>\nsecond line | with pipe'),
      ev('2026-11-21T09:30:01Z', 'incident.note', 'U01ONCALL', 'trailing backslash \\| then <!here>'),
      ev('2026-11-21T09:30:02Z', 'incident.note', 'U01ONCALL', 'asked <@U02LEAD> and <@U999EVIL> about <!subteam^S1>'),
      ev('2026-11-21T09:30:03Z', 'alert.firing', 'alertmanager', 'owner=<@U01ONCALL>'),
      ev('2026-11-21T09:30:04Z', 'incident.note', 'alertmanager', 'from a sender: <@U03COMMS>'),
    ],
  });

  it('never lets a Slack broadcast, user or group mention from labels or text become live', () => {
    const md = renderPostmortem(input);
    const live = outsideCode(md);
    expect(live).not.toMatch(/<!/);
    expect(live).not.toMatch(/(?<![\w`])@(channel|here|everyone)\b/);
    const mentions = new Set([...live.matchAll(/<@([^>]*)>/g)].map((m) => m[1]));
    expect([...mentions].sort()).toEqual(['U01ONCALL', 'U02LEAD', 'U03COMMS', 'U04DATA']);
    // Still readable: the values are there, inert.
    expect(md).toContain('`team=<!channel>`');
    expect(md).toContain('``tick=a`<!everyone>`b``');
  });

  it("keeps a participant's mention live in people's notes, and no mention live in what an alert wrote", () => {
    const rows = tableRows(section(renderPostmortem(input), 'Timeline'));
    const what = (prefix: string): string | undefined => rows.find((r) => (r[3] ?? '').startsWith(prefix))?.[3];
    expect(what('asked')).toBe('asked <@U02LEAD> and `<@U999EVIL>` about `<!subteam^S1>`');
    expect(what('owner=')).toBe('owner=`<@U01ONCALL>`');
    expect(what('from a sender')).toBe('from a sender: `<@U03COMMS>`');
    expect(what('Acknowledged by')).toBe('Acknowledged by <@U01ONCALL>');
  });

  it('keeps raw HTML and unsafe links inert', () => {
    const md = renderPostmortem(input);
    expect(outsideCode(md)).not.toMatch(/<script/i);
    expect(md).toContain('&lt;script>alert(1)&lt;/script>');
    expect(md).toContain('- `javascript:alert(1)`');
  });

  it('keeps every table row in its columns: pipes escaped, newlines as <br>', () => {
    const md = renderPostmortem(input);
    const rows = tableRows(section(md, 'Timeline'));
    for (const r of rows) expect(r).toHaveLength(4);
    const note = rows.find((r) => (r[3] ?? '').startsWith('trailing')) ?? [];
    expect(note[3]).toBe('trailing backslash \\\\\\| then `<!here>`');
    const pasted = rows.find((r) => (r[3] ?? '').startsWith('labels:'));
    expect(pasted?.[3]).toBe('labels: team=`<!channel>` owner=`<@U999EVIL>`<br>second line \\| with pipe');
    // The alert heading stays one line.
    expect(md).toContain('### `<!here>` DiskFull | on node-1');
  });
});

describe('Markdown cell escaping', () => {
  it.each([
    ['a|b', 'a\\|b'],
    ['a\\|b', 'a\\\\\\|b'],
    ['a\\\\|b', 'a\\\\\\\\\\|b'],
    ['one\ntwo\r\nthree', 'one<br>two<br>three'],
    ['  padded\n', 'padded'],
    ['<!channel>|x', '`<!channel>`\\|x'],
  ])('cell(%j) is %j', (input, expected) => {
    expect(cell(input)).toBe(expected);
    expect(splitRow(`| ${cell(input)} | next |`)).toHaveLength(2);
  });

  it('never lets any text split a row', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('|', '\\', 'a', '\n', '`', '<', '!', '@', ' ') }), (s) => {
        expect(splitRow(`| ${cell(s)} | ${escapePipes(code(s))} | end |`)).toHaveLength(3);
        expect(cell(s)).not.toMatch(/[\r\n]/);
      }),
    );
  });

  it('fences a code span beyond any backtick run in it', () => {
    expect(code('a`b')).toBe('``a`b``');
    expect(code('`x`')).toBe('`` `x` ``');
    expect(code('plain')).toBe('`plain`');
  });
});

describe('renderPostmortem: incomplete incidents', () => {
  it('renders every section with placeholders when there is no diagnosis, alert or mitigation', () => {
    const open = { ...incident, status: 'triggered' as const, roles: {}, acknowledgedAt: undefined, mitigatedAt: undefined, resolvedAt: undefined };
    const md = renderPostmortem(minimal({ incident: open }));
    const headings = md.split('\n').filter((l) => l.startsWith('## ')).map((l) => l.slice(3));
    expect(headings).toEqual([...SECTION_TITLES]);
    expect(section(md, 'Findings and hypotheses')).toContain('_No diagnosis was recorded for this incident._');
    expect(section(md, 'Mitigations')).toContain('_No mitigation went through warroom');
    expect(section(md, 'Timeline')).toContain('_No events were recorded._');
    expect(section(md, 'Participants and roles')).toContain('- **Commander:** _not assigned_');
    expect(section(md, 'What went well')).toContain('_To be filled in by the team._');
    const impact = tableRows(section(md, 'Impact'));
    expect(impact.find((r) => r[0] === 'Acknowledge')?.[2]).toBe('_not reached_');
  });

  it('reports an impact window still open at generation time with how long so far', () => {
    const firing = IncidentAlert.parse({ ...alert, status: 'firing', endsAt: undefined });
    const md = renderPostmortem(minimal({ alerts: [firing], generatedAt: new Date('2026-11-21T10:12:00Z') }));
    expect(section(md, 'Impact')).toContain('- **Impact window:** from 2026-11-21 04:12:00 UTC (2026-11-21 05:12:00 CET), still open (an alert still fires, 6h so far)');
    expect(section(md, 'Summary')).toContain('still open when this draft was written (6h so far)');
  });

  it('takes an explicit follow-up from a finding, and skips noted findings a hypothesis already cites', () => {
    const explicit = Finding.parse({ id: 'x:1', check: 'x', severity: 'info', title: 'Port mismatch', summary: 's', facts: { followUp: 'Align the container port with the Service targetPort' } });
    const cited = Finding.parse({ id: 'x:2', check: 'x', severity: 'critical', title: 'Cited', summary: 's' });
    const a = Assessment.parse({
      incidentId: 'INC-42',
      findings: [explicit, cited],
      proposals: [],
      summary: 'S.',
      hypotheses: [{ id: 'h', title: 'H', verdict: 'supported', score: 1, supportedBy: ['x:2'], explanation: 'E.' }],
    });
    const rows = tableRows(section(renderPostmortem(minimal({ assessment: a })), 'Action items'));
    expect(rows.map((r) => r[1])).toEqual(['Align the container port with the Service targetPort', '_To be filled in by the team._']);
    expect(rows[0]?.[3]).toBe('finding `x:1`');
  });

  it('names each kind of mitigation, with label values from silence matchers inert', () => {
    const kinds = Mitigation.array().parse([
      { kind: 'rollback', namespace: 'default', deployment: 'data-service', toRevision: 40 },
      { kind: 'rollback', namespace: 'default', deployment: 'data-service' },
      { kind: 'scale', namespace: 'default', deployment: 'data-service', replicas: 8 },
      { kind: 'restart', namespace: 'default', deployment: 'data-service' },
      {
        kind: 'silence',
        durationMinutes: 90,
        matchers: [
          { name: 'alertname', value: 'Disk<!channel>', isRegex: false, isEqual: true },
          { name: 'pod', value: 'data-.*', isRegex: true, isEqual: false },
        ],
      },
    ]);
    const proposals = kinds.map((mitigation, i) => ({ ...proposal, id: `p-${i}`, mitigation, requestedAt: `2026-11-21T09:0${i}:00Z` }));
    const titles = section(renderPostmortem(minimal({ proposals })), 'Mitigations')
      .split('\n')
      .filter((l) => l.startsWith('### '));
    expect(titles).toEqual([
      '### 1. Roll back deployment `default/data-service` to revision 40',
      '### 2. Roll back deployment `default/data-service` to the previous revision',
      '### 3. Scale deployment `default/data-service` to 8 replicas',
      '### 4. Restart deployment `default/data-service` (rolling)',
      '### 5. Silence alerts matching `alertname="Disk<!channel>"`, `pod!~"data-.*"` for 1h 30m',
    ]);
  });

  it('says who denied a mitigation and that it never ran', () => {
    const denied = { ...proposal, status: 'denied' as const, approvals: [], decidedBy: 'U02LEAD', outcome: undefined };
    const md = renderPostmortem(
      minimal({
        proposals: [denied],
        timeline: [ev('2026-11-21T09:09:12Z', 'mitigation.denied', 'U02LEAD', 'Denied: wait for the owners', { proposalId: proposal.id })],
      }),
    );
    const m = section(md, 'Mitigations');
    expect(m).toContain('- **Approved by:** _no approval recorded_ (1 required)');
    expect(m).toContain('- **Denied:** 2026-11-21 09:09:12 UTC by <@U02LEAD>: Denied: wait for the owners');
    expect(m).toContain('- **Executed:** _not executed_');
  });

});
