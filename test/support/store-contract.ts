/**
 * The contract every implementation of the stores (workflows/ports.ts: incidents, timeline, proposals,
 * diagnosis runs, claims) passes: the Redis stores (test/integration/store.test.ts, real Redis) and
 * their in-memory twins (test/unit/stores-memory.test.ts). One suite, so the twin cannot drift.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../src/domain/alert.js';
import type { CheckOutcome } from '../../src/domain/diagnosis-run.js';
import type { Assessment, Finding } from '../../src/domain/diagnostics.js';
import type { Incident } from '../../src/domain/incident.js';
import type { Proposal } from '../../src/domain/proposal.js';
import type { TimelineEvent } from '../../src/domain/timeline.js';
import { AppError } from '../../src/errors.js';
import type { CreateIncidentInput, Stores } from '../../src/workflows/ports.js';
import { sampleProposal } from './fake-world.js';

export interface StoreHarness {
  /** The i-th client of one backend: with Redis a connection of its own, so commands really interleave. */
  stores(i?: number): Stores;
  /** Lets `ms` of time pass for TTLs. */
  elapse(ms: number): Promise<void>;
  close(): Promise<void>;
}

const WINDOW = 30 * 60_000;
const T0 = new Date('2026-11-21T09:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);

let uniq = 0;
/** Keys unique per test, so the suite can share one backend. */
const key = (name: string) => `${name}-${++uniq}`;

function input(k: string): CreateIncidentInput {
  return { key: k, title: `Incident for ${k}`, severity: 'SEV2', source: 'alertmanager', route: 'default', responders: ['U0ONCALL1'] };
}

function ev(atIso: string, text: string, kind: TimelineEvent['kind'] = 'incident.note'): TimelineEvent {
  return { at: atIso, kind, actor: 'U0ONCALL1', text };
}

function alert(fingerprint: string, status: 'firing' | 'resolved', startsAt = '2026-11-21T08:56:53Z'): Alert {
  return {
    source: 'alertmanager',
    fingerprint,
    status,
    name: 'HighErrorRate',
    severity: 'SEV2',
    labels: { alertname: 'HighErrorRate', service: 'checkout' },
    annotations: {},
    startsAt,
    ...(status === 'resolved' ? { endsAt: '2026-11-21T09:30:00Z' } : {}),
    links: [],
  };
}

const proposal = (id: string, incidentId: string, requestedAt: string): Proposal => sampleProposal({ id, incidentId, requestedAt });

function finding(id: string): Finding {
  return { id, check: 'pods', severity: 'warning', title: `finding ${id}`, summary: 's', evidence: [], signals: {}, mitigations: [], facts: {} };
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

export function storeContract(name: string, setup: () => Promise<StoreHarness>): void {
  describe(`${name}: the store contract`, () => {
    let h: StoreHarness;
    const s = (i = 0) => h.stores(i);
    beforeAll(async () => {
      h = await setup();
    });
    afterAll(async () => {
      await h?.close();
    });

    describe('incidents', () => {
      it('creates one incident per key with monotonic ids, and finds it by key and id', async () => {
        const [ka, kb] = [key('a'), key('b')];
        const a = await s().incidents.getOrCreate(input(ka), T0, WINDOW);
        const b = await s().incidents.getOrCreate(input(kb), T0, WINDOW);
        expect([a.created, b.created]).toEqual([true, true]);
        expect(a.incident.id).toMatch(/^INC-\d+$/);
        expect(Number(b.incident.id.slice(4))).toBe(Number(a.incident.id.slice(4)) + 1);
        expect(a.incident).toMatchObject({ key: ka, status: 'triggered', severity: 'SEV2', reopenCount: 0, createdAt: T0.toISOString(), responders: ['U0ONCALL1'], roles: {} });
        const again = await s().incidents.getOrCreate(input(ka), at(1000), WINDOW);
        expect(again).toMatchObject({ created: false, reopened: false });
        expect(again.incident.id).toBe(a.incident.id);
        expect((await s().incidents.findByKey(ka))?.id).toBe(a.incident.id);
        expect((await s().incidents.get(a.incident.id))?.title).toBe(`Incident for ${ka}`);
        expect(await s().incidents.findByKey(key('none'))).toBeUndefined();
        expect(await s().incidents.get('INC-999999999')).toBeUndefined();
      });

      it('reopens a resolved incident within the reopen window, and opens a new one after it', async () => {
        const k = key('flap');
        const first = (await s().incidents.getOrCreate(input(k), T0, WINDOW)).incident;
        await s().incidents.update(first.id, (i) => ({ ...i, status: 'resolved', resolvedAt: at(60_000).toISOString(), resolvedBy: 'U0ONCALL1' }));
        expect((await s().incidents.listOpen()).map((i) => i.id)).not.toContain(first.id);

        // Exactly at the end of the window still reopens.
        const reopened = await s().incidents.getOrCreate(input(k), at(60_000 + WINDOW), WINDOW);
        expect(reopened).toMatchObject({ created: false, reopened: true });
        expect(reopened.incident).toMatchObject({ id: first.id, status: 'triggered', reopenCount: 1 });
        expect(reopened.incident.resolvedAt).toBeUndefined();
        expect(reopened.incident.resolvedBy).toBeUndefined();
        expect((await s().incidents.listOpen()).map((i) => i.id)).toContain(first.id);
        // A further re-fire while open is just the same incident.
        expect(await s().incidents.getOrCreate(input(k), at(60_000 + WINDOW + 1), WINDOW)).toMatchObject({ created: false, reopened: false });

        // Resolved again, and the next re-fire comes one millisecond after the window: a new incident.
        const resolvedAt = at(2 * WINDOW);
        await s().incidents.update(first.id, (i) => ({ ...i, status: 'resolved', resolvedAt: resolvedAt.toISOString() }));
        const fresh = await s().incidents.getOrCreate(input(k), new Date(resolvedAt.getTime() + WINDOW + 1), WINDOW);
        expect([fresh.created, fresh.reopened]).toEqual([true, false]);
        expect(fresh.incident.id).not.toBe(first.id);
        expect(fresh.incident.reopenCount).toBe(0);
        expect((await s().incidents.findByKey(k))?.id).toBe(fresh.incident.id);
        expect((await s().incidents.get(first.id))?.status).toBe('resolved');
        expect((await s().incidents.listAll(1000)).map((i) => i.id)).toEqual(expect.arrayContaining([first.id, fresh.incident.id]));
      });

      it('update maps channels, says whether it changed anything, refuses unknown ids and invalid data', async () => {
        const { incident } = await s().incidents.getOrCreate(input(key('upd')), T0, WINDOW);
        const channelId = `C${key('CH').toUpperCase().replace(/[^A-Z0-9]/g, '')}`;
        const updated = await s().incidents.update(incident.id, (i) => ({ ...i, channelId, channelName: 'inc-x' }));
        expect(updated).toMatchObject({ changed: true, value: { channelId } });
        expect((await s().incidents.findByChannel(channelId))?.id).toBe(incident.id);
        expect(await s().incidents.findByChannel('CNOTHING')).toBeUndefined();
        const same = await s().incidents.update(incident.id, () => undefined);
        expect(same).toEqual({ value: updated.value, changed: false });

        expect(await rejection(s().incidents.update('INC-424242424', (i) => i))).toMatchObject({ code: 'not_found' });
        // A change that breaks the schema is refused as invalid data, not reported as a dependency being down.
        const bad = await rejection(s().incidents.update(incident.id, (i) => ({ ...i, severity: 'SEV9' as never })));
        expect(bad).toBeInstanceOf(AppError);
        expect(bad).toMatchObject({ code: 'internal' });
        expect((await s().incidents.get(incident.id))?.severity).toBe('SEV2');
      });

      it('a value read is a copy: changing it changes nothing stored', async () => {
        const { incident } = await s().incidents.getOrCreate(input(key('copy')), T0, WINDOW);
        incident.title = 'mutated';
        incident.responders.push('U0EVIL');
        expect(await s().incidents.get(incident.id)).toMatchObject({ title: expect.stringMatching(/^Incident for copy-/), responders: ['U0ONCALL1'] });
      });

      it('lists open incidents oldest first and all incidents newest first', async () => {
        const ids: string[] = [];
        for (let i = 0; i < 3; i++) ids.push((await s().incidents.getOrCreate(input(key('ord')), at(i * 1000), WINDOW)).incident.id);
        const open = (await s().incidents.listOpen()).map((i) => i.id).filter((id) => ids.includes(id));
        expect(open).toEqual(ids);
        const newest = (await s().incidents.listAll(1000)).map((i) => i.id).filter((id) => ids.includes(id));
        expect(newest).toEqual([...ids].reverse());
        expect(await s().incidents.listAll(2)).toHaveLength(2);
      });

      it('alerts: first sight and status changes count as changes, redeliveries do not', async () => {
        const { incident } = await s().incidents.getOrCreate(input(key('alerts')), T0, WINDOW);
        const first = await s().incidents.upsertAlert(incident.id, alert('fp1', 'firing'), T0);
        expect(first.changed).toBe(true);
        expect(first.previous).toBeUndefined();
        const redelivered = await s().incidents.upsertAlert(incident.id, alert('fp1', 'firing'), at(60_000));
        expect(redelivered.changed).toBe(false);
        const resolved = await s().incidents.upsertAlert(incident.id, alert('fp1', 'resolved'), at(120_000));
        expect(resolved.changed).toBe(true);
        expect(resolved.previous?.status).toBe('firing');
        expect(resolved.current.transitions.map((t) => t.status)).toEqual(['firing', 'resolved']);
        expect(resolved.current.firstSeenAt).toBe(T0.toISOString());
        // A new firing with a new startsAt is a change.
        expect((await s().incidents.upsertAlert(incident.id, alert('fp1', 'firing', '2026-11-21T10:00:00Z'), at(180_000))).changed).toBe(true);
        await s().incidents.upsertAlert(incident.id, alert('fp2', 'firing'), at(200_000));
        const list = await s().incidents.listAlerts(incident.id);
        expect(list.map((a) => a.fingerprint)).toEqual(['fp1', 'fp2']);
        expect(list[0]?.transitions).toHaveLength(3);
      });

      it('200 concurrent getOrCreate calls for one key: one incident, exactly one created', async () => {
        const k = key('one-key');
        const results = await Promise.all(Array.from({ length: 200 }, (_, i) => s(i).incidents.getOrCreate(input(k), T0, WINDOW)));
        expect(new Set(results.map((r) => r.incident.id)).size).toBe(1);
        expect(results.filter((r) => r.created)).toHaveLength(1);
        expect(results.filter((r) => r.reopened)).toHaveLength(0);
        expect((await s().incidents.listAll(1000)).filter((i) => i.key === k)).toHaveLength(1);
      });

      it('concurrent re-fires after a resolve: exactly one reopens within the window, exactly one creates after it', async () => {
        const k = key('flap-key');
        const { incident } = await s().incidents.getOrCreate(input(k), T0, WINDOW);
        const resolvedAt = at(60_000);
        await s().incidents.update(incident.id, (i) => ({ ...i, status: 'resolved', resolvedAt: resolvedAt.toISOString() }));
        const within = new Date(resolvedAt.getTime() + WINDOW / 2);
        const r1 = await Promise.all(Array.from({ length: 100 }, (_, i) => s(i).incidents.getOrCreate(input(k), within, WINDOW)));
        expect(r1.filter((r) => r.reopened)).toHaveLength(1);
        expect(r1.filter((r) => r.created)).toHaveLength(0);
        expect(new Set(r1.map((r) => r.incident.id))).toEqual(new Set([incident.id]));
        expect((await s().incidents.get(incident.id))?.reopenCount).toBe(1);

        const resolvedAgain = new Date(within.getTime() + 1000);
        await s().incidents.update(incident.id, (i) => ({ ...i, status: 'resolved', resolvedAt: resolvedAgain.toISOString() }));
        const after = new Date(resolvedAgain.getTime() + WINDOW + 1);
        const r2 = await Promise.all(Array.from({ length: 100 }, (_, i) => s(i).incidents.getOrCreate(input(k), after, WINDOW)));
        expect(r2.filter((r) => r.created)).toHaveLength(1);
        expect(r2.filter((r) => r.reopened)).toHaveLength(0);
        const ids = new Set(r2.map((r) => r.incident.id));
        expect(ids.size).toBe(1);
        expect(ids.has(incident.id)).toBe(false);
        expect((await s().incidents.get(incident.id))?.status).toBe('resolved');
      });

      it('50 concurrent updates lose nothing, and each says it changed', async () => {
        const { incident } = await s().incidents.getOrCreate(input(key('cas')), T0, WINDOW);
        const users = Array.from({ length: 50 }, (_, i) => `U${String(i).padStart(4, '0')}`);
        const results = await Promise.all(users.map((u, i) => s(i).incidents.update(incident.id, (cur) => ({ ...cur, responders: [...cur.responders, u], reopenCount: cur.reopenCount + 1 }))));
        expect(results.every((r) => r.changed)).toBe(true);
        const after = await s().incidents.get(incident.id);
        expect([...(after?.responders ?? [])].filter((u) => u !== 'U0ONCALL1').sort()).toEqual(users);
        expect(after?.reopenCount).toBe(50);

        // Only one of many racing "acknowledge if triggered" changes changes anything.
        const acks = await Promise.all(Array.from({ length: 30 }, (_, i) => s(i).incidents.update(incident.id, (cur) => (cur.status === 'triggered' ? { ...cur, status: 'acknowledged', acknowledgedBy: `U${i}` } : undefined))));
        expect(acks.filter((r) => r.changed)).toHaveLength(1);
        const winner = acks.find((r) => r.changed)?.value.acknowledgedBy;
        expect((await s().incidents.get(incident.id))?.acknowledgedBy).toBe(winner);

        // Role changes racing with other field changes: every role lands, the other changes too.
        const roles = ['commander', 'comms', 'scribe'] as const;
        await Promise.all(
          Array.from({ length: 48 }, (_, i) =>
            i % 2 === 0
              ? s(i).incidents.update(incident.id, (cur) => ({ ...cur, roles: { ...cur.roles, [roles[(i / 2) % 3] as string]: `UR${i}` } }))
              : s(i).incidents.update(incident.id, (cur) => ({ ...cur, responders: [...cur.responders, `UX${i}`] })),
          ),
        );
        const final = (await s().incidents.get(incident.id)) as Incident;
        expect(Object.keys(final.roles).sort()).toEqual(['commander', 'comms', 'scribe']);
        expect(final.responders.filter((r) => r.startsWith('UX'))).toHaveLength(24);
      });

      it('the open list follows the status under racing resolves and reopens', async () => {
        const k = key('open');
        const { incident } = await s().incidents.getOrCreate(input(k), T0, WINDOW);
        for (let round = 0; round < 5; round++) {
          const resolvedAt = at(round * 1000).toISOString();
          await Promise.all(
            Array.from({ length: 30 }, (_, i) =>
              i % 2 === 0 ? s(i).incidents.update(incident.id, (cur) => ({ ...cur, status: 'resolved', resolvedAt })) : s(i).incidents.getOrCreate(input(k), at(round * 1000 + 10), WINDOW),
            ),
          );
          const cur = await s().incidents.get(incident.id);
          expect((await s().incidents.listOpen()).some((i) => i.id === incident.id)).toBe(cur?.status !== 'resolved');
        }
      });
    });

    describe('timeline', () => {
      it('appends in time order, dedupes by id, removes by id and allows re-adding', async () => {
        const id = (await s().incidents.getOrCreate(input(key('tl')), T0, WINDOW)).incident.id;
        const tl = s().timeline;
        expect(await tl.append(id, ev('2026-11-21T09:05:00.000Z', 'second'))).toBe(true);
        expect(await tl.append(id, ev('2026-11-21T09:01:00.000Z', 'first'))).toBe(true);
        expect(await tl.append(id, ev('2026-11-21T09:05:00.000Z', 'second tie'))).toBe(true);
        expect((await tl.list(id)).map((e) => e.text)).toEqual(['first', 'second', 'second tie']);

        expect(await tl.append(id, ev('2026-11-21T09:03:00.000Z', 'pinned'), 'pin-1')).toBe(true);
        expect(await tl.append(id, ev('2026-11-21T09:03:00.000Z', 'pinned again'), 'pin-1')).toBe(false);
        expect((await tl.list(id)).map((e) => e.text)).toEqual(['first', 'pinned', 'second', 'second tie']);
        // Without a dedupe id the same event may be appended twice (two notes can say the same).
        expect(await tl.append(id, ev('2026-11-21T09:06:00.000Z', 'dup'))).toBe(true);
        expect(await tl.append(id, ev('2026-11-21T09:06:00.000Z', 'dup'))).toBe(true);
        expect((await tl.list(id)).filter((e) => e.text === 'dup')).toHaveLength(2);

        expect(await tl.remove(id, 'pin-1')).toBe(true);
        expect(await tl.remove(id, 'pin-1')).toBe(false);
        expect(await tl.remove(id, 'never-added')).toBe(false);
        expect((await tl.list(id)).map((e) => e.text)).not.toContain('pinned');
        expect(await tl.append(id, ev('2026-11-21T09:03:00.000Z', 'pinned back'), 'pin-1')).toBe(true);
        expect((await tl.list(id)).map((e) => e.text)).toContain('pinned back');

        // Invalid events are refused and leave nothing behind.
        const count = (await tl.list(id)).length;
        expect(await rejection(tl.append(id, { ...ev('2026-11-21T09:07:00.000Z', 'x'), kind: 'not.a.kind' as never }, 'bad-1'))).toMatchObject({ code: 'internal' });
        expect((await tl.list(id)).length).toBe(count);
        expect(await tl.append(id, ev('2026-11-21T09:07:00.000Z', 'after bad'), 'bad-1')).toBe(true);
      });

      it('50 concurrent appends all land; 50 with one dedupe id land once', async () => {
        const id = (await s().incidents.getOrCreate(input(key('tl-cc')), T0, WINDOW)).incident.id;
        const notes = await Promise.all(Array.from({ length: 50 }, (_, i) => s(i).timeline.append(id, { at: T0.toISOString(), kind: 'incident.note', actor: 'U1', text: `note ${i}` })));
        expect(notes.every(Boolean)).toBe(true);
        const dedup = await Promise.all(Array.from({ length: 50 }, (_, i) => s(i).timeline.append(id, { at: T0.toISOString(), kind: 'slack.pinned', actor: 'U1', text: `pin ${i}` }, 'pin-x')));
        expect(dedup.filter(Boolean)).toHaveLength(1);
        const tl = await s().timeline.list(id);
        expect(new Set(tl.filter((e) => e.kind === 'incident.note').map((e) => e.text)).size).toBe(50);
        expect(tl.filter((e) => e.kind === 'slack.pinned')).toHaveLength(1);
      });
    });

    describe('proposals', () => {
      it('saves, reads, lists in request order and updates by compare-and-set', async () => {
        const incidentId = key('INC-P');
        const [p1, p2, p3] = [key('P'), key('P'), key('P')];
        await s().proposals.save(proposal(p2, incidentId, '2026-11-21T09:02:00.000Z'));
        await s().proposals.save(proposal(p1, incidentId, '2026-11-21T09:01:00.000Z'));
        await s().proposals.save(proposal(p3, key('INC-OTHER'), '2026-11-21T09:00:00.000Z'));
        expect((await s().proposals.list(incidentId)).map((p) => p.id)).toEqual([p1, p2]);
        expect((await s().proposals.get(p1))?.mitigation).toEqual({ kind: 'scale', namespace: 'prod', deployment: 'api', replicas: 4 });
        expect(await s().proposals.get(key('nope'))).toBeUndefined();
        expect(await s().proposals.update(key('nope'), (p) => p)).toBeUndefined();

        const approve = (userId: string) => (cur: Proposal) => (cur.status === 'pending' ? { ...cur, status: 'approved' as const, approvals: [...cur.approvals, { userId, at: T0.toISOString(), rule: 'r' }] } : undefined);
        const clicks = await Promise.all(Array.from({ length: 20 }, (_, i) => s(i).proposals.update(p1, approve(`U${i}`))));
        expect(clicks.filter((r) => r?.changed)).toHaveLength(1);
        const stored = await s().proposals.get(p1);
        expect(stored?.status).toBe('approved');
        expect(stored?.approvals).toHaveLength(1);
        expect(await rejection(s().proposals.update(p2, (cur) => ({ ...cur, status: 'launched' as never })))).toMatchObject({ code: 'internal' });
        expect((await s().proposals.get(p2))?.status).toBe('pending');
      });
    });

    describe('diagnosis runs', () => {
      it('stores findings once per run and lists the latest run by default', async () => {
        const incidentId = key('INC-D');
        const r1 = { incidentId, runId: 'r1' };
        const r2 = { incidentId, runId: 'r2' };
        expect(await s().diagnosis.listFindings(incidentId)).toEqual([]);
        expect(await s().diagnosis.saveFinding(r1, finding('b'))).toBe(true);
        expect(await s().diagnosis.saveFinding(r1, finding('a'))).toBe(true);
        expect(await s().diagnosis.saveFinding(r1, { ...finding('a'), title: 'again' })).toBe(false);
        expect((await s().diagnosis.listFindings(incidentId)).map((f) => [f.id, f.title])).toEqual([['a', 'finding a'], ['b', 'finding b']]);
        await h.elapse(5);
        expect(await s().diagnosis.saveFinding(r2, finding('c'))).toBe(true);
        expect((await s().diagnosis.listFindings(incidentId)).map((f) => f.id)).toEqual(['c']);
        expect((await s().diagnosis.listFindings(incidentId, 'r1')).map((f) => f.id)).toEqual(['a', 'b']);
      });

      it('keeps outcomes, scheduled and finished checks, subjects, progress and the assessment per run', async () => {
        const run = { incidentId: key('INC-R'), runId: 'r1' };
        const other = { ...run, runId: 'r2' };
        const outcome: CheckOutcome = { findings: [finding('x')], discovered: [{ kind: 'workload', namespace: 'prod', deployment: 'api' }], handOn: { firstFlap: '2026-11-21T04:12:00Z' } };
        expect(await s().diagnosis.getOutcome(run, 'wl/prod/api', 'pods')).toBeUndefined();
        await s().diagnosis.saveOutcome(run, 'wl/prod/api', 'pods', outcome);
        expect(await s().diagnosis.getOutcome(run, 'wl/prod/api', 'pods')).toEqual(outcome);
        expect(await s().diagnosis.getOutcome(other, 'wl/prod/api', 'pods')).toBeUndefined();

        await Promise.all(Array.from({ length: 10 }, (_, i) => s(i).diagnosis.markScheduled(run, `check-${run.incidentId}-${i % 3}`)));
        expect(await s().diagnosis.scheduledCount(run)).toBe(3);
        expect(await s().diagnosis.scheduledCount(other)).toBe(0);
        await s().diagnosis.markDone(run, `check-${run.incidentId}-1`, { check: 'pods · wl/prod/api', ok: true, title: 'fine' });
        await s().diagnosis.markDone(run, `check-${run.incidentId}-1`, { check: 'pods · wl/prod/api', ok: true, title: 'again' });
        await s().diagnosis.markDone(run, `check-${run.incidentId}-2`, { check: 'hpa · wl/prod/api', ok: false, title: 'failed' });
        expect(await s().diagnosis.listDone(run)).toEqual([
          { check: 'pods · wl/prod/api', ok: true, title: 'fine' },
          { check: 'hpa · wl/prod/api', ok: false, title: 'failed' },
        ]);

        expect(await s().diagnosis.addSubject(run, 'cw/us-east-1/alarm')).toBe(true);
        const adds = await Promise.all(Array.from({ length: 10 }, (_, i) => s(i).diagnosis.addSubject(run, 'wl/prod/api')));
        expect(adds.filter(Boolean)).toHaveLength(1);
        expect(await s().diagnosis.listSubjects(run)).toEqual(['cw/us-east-1/alarm', 'wl/prod/api']);

        expect(await s().diagnosis.getProgressTs(run)).toBeUndefined();
        await s().diagnosis.setProgressTs(run, '1700000000.000100');
        expect(await s().diagnosis.getProgressTs(run)).toBe('1700000000.000100');
        expect(await s().diagnosis.isFinished(run)).toBe(false);
        await s().diagnosis.markFinished(run);
        expect([await s().diagnosis.isFinished(run), await s().diagnosis.isFinished(other)]).toEqual([true, false]);

        const assessment: Assessment = { incidentId: run.incidentId, summary: 'inconclusive', hypotheses: [], findings: [finding('x')], proposals: [] };
        expect(await s().diagnosis.getAssessment(run.incidentId)).toBeUndefined();
        await s().diagnosis.saveAssessment(run.incidentId, assessment);
        expect(await s().diagnosis.getAssessment(run.incidentId)).toEqual(assessment);
      });
    });

    describe('claims', () => {
      it('first caller only; with a TTL, again once it lapses', async () => {
        const [a, b] = [key('once'), key('once-ttl')];
        expect(await s().claims.claimOnce(a, 0)).toBe(true);
        expect(await s().claims.claimOnce(a, 0)).toBe(false);
        const racing = await Promise.all(Array.from({ length: 20 }, (_, i) => s(i).claims.claimOnce(b, 150)));
        expect(racing.filter(Boolean)).toHaveLength(1);
        expect(await s().claims.claimOnce(b, 150)).toBe(false);
        await h.elapse(300);
        expect(await s().claims.claimOnce(b, 150)).toBe(true);
        expect(await s().claims.claimOnce(a, 0)).toBe(false);
      });

      it('counters count from 0 and lapse with their TTL; values are read back until they lapse', async () => {
        const [c, v] = [key('ctr'), key('val')];
        expect(await s().claims.count(c)).toBe(0);
        const racing = await Promise.all(Array.from({ length: 10 }, (_, i) => s(i).claims.increment(c, 150)));
        expect([...racing].sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        expect(await s().claims.count(c)).toBe(10);
        expect(await s().claims.getValue(v)).toBeUndefined();
        await s().claims.setValue(v, 'INC-1', 150);
        expect(await s().claims.getValue(v)).toBe('INC-1');
        await h.elapse(300);
        expect(await s().claims.count(c)).toBe(0);
        expect(await s().claims.getValue(v)).toBeUndefined();
      });
    });
  });
}
