/**
 * change-correlation: changes (rollouts and configuration) against the page and the first flap.
 *
 * - Rollouts: ReplicaSet revisions, what changed between the last two templates (images; the
 *   ConfigMaps and Secrets referenced; checksum annotations such as `checksum/config`), creation
 *   times. A change after the problem began is a red herring, said plainly; one long before is no
 *   suspect; one shortly before the onset is looked at through its pods: a failure confined to the
 *   new revision (crash, OOM, image pull, CreateContainerConfigError, failing readiness) makes it
 *   the cause, and a rollback is proposed when a rollback would actually restore the old state
 *   (the previous revision's ConfigMaps still exist; the change was not an in-place edit of a
 *   ConfigMap both revisions share, which a rollback would not undo).
 * - Configuration edited in place: a ConfigMap the template references, written shortly before
 *   the onset and after the last rollout (its managedFields time), without any rollout at all.
 *
 * Secrets are never read: only their names (from the template) and checksum annotations are used.
 */
import { z } from 'zod';
import type { Alert } from '../../../domain/alert.js';
import type { Finding } from '../../../domain/diagnostics.js';
import type { K8sPod, K8sPodTemplate, K8sReplicaSet, KubernetesPort } from '../../ports.js';
import type { HypothesisName } from '../causes.js';
import { FACT, duration, hhmm, makeFinding, notConfigured, readDate, type Check, type CheckResult, type FindingInput, type ProposalNote, type SymptomInput } from '../types.js';
import { deploymentSelector, failuresOf, imageTag, podsByRevision, restarts, revisionOf, terminations, type PodFailure } from './k8s-util.js';

const ID = 'change-correlation';
/** A change this long before the onset counts as "shortly before". */
export const SUSPECT_WINDOW_MS = 2 * 3600_000;
const CHECKSUM_ANNOTATION = /checksum|config-?hash/i;

// ------------------------------------------------------------------------------------------
// What a template references, and what changed between two

const Named = z.object({ name: z.string() });
const TemplateRefs = z.looseObject({
  volumes: z
    .array(
      z.looseObject({
        configMap: Named.optional(),
        secret: z.object({ secretName: z.string() }).optional(),
        projected: z.looseObject({ sources: z.array(z.looseObject({ configMap: Named.optional(), secret: Named.optional() })).optional() }).optional(),
      }),
    )
    .optional(),
  containers: z
    .array(
      z.looseObject({
        envFrom: z.array(z.looseObject({ configMapRef: Named.optional(), secretRef: Named.optional() })).optional(),
        env: z.array(z.looseObject({ valueFrom: z.looseObject({ configMapKeyRef: Named.optional(), secretKeyRef: Named.optional() }).optional() })).optional(),
      }),
    )
    .optional(),
});

export interface ConfigRefs {
  configMaps: string[];
  secrets: string[];
}

/** The ConfigMaps and Secrets a pod template references (volumes, envFrom, env valueFrom), sorted. */
export function configRefs(template: K8sPodTemplate): ConfigRefs {
  const parsed = TemplateRefs.safeParse(template.spec);
  const cms = new Set<string>();
  const secrets = new Set<string>();
  if (parsed.success) {
    for (const v of parsed.data.volumes ?? []) {
      if (v.configMap) cms.add(v.configMap.name);
      if (v.secret) secrets.add(v.secret.secretName);
      for (const src of v.projected?.sources ?? []) {
        if (src.configMap) cms.add(src.configMap.name);
        if (src.secret) secrets.add(src.secret.name);
      }
    }
    for (const c of parsed.data.containers ?? []) {
      for (const e of c.envFrom ?? []) {
        if (e.configMapRef) cms.add(e.configMapRef.name);
        if (e.secretRef) secrets.add(e.secretRef.name);
      }
      for (const e of c.env ?? []) {
        if (e.valueFrom?.configMapKeyRef) cms.add(e.valueFrom.configMapKeyRef.name);
        if (e.valueFrom?.secretKeyRef) secrets.add(e.valueFrom.secretKeyRef.name);
      }
    }
  }
  return { configMaps: [...cms].sort(), secrets: [...secrets].sort() };
}

export interface TemplateChange {
  images: { container: string; from: string; to: string }[];
  configMaps: { from: string[]; to: string[] };
  secrets: { from: string[]; to: string[] };
  /** Checksum annotations whose value changed (`checksum/config`). */
  checksums: string[];
}

export function templateChange(before: K8sPodTemplate | undefined, after: K8sPodTemplate): TemplateChange {
  const prevImages = new Map((before?.spec.containers ?? []).map((c) => [c.name, c.image]));
  const images = after.spec.containers.filter((c) => prevImages.has(c.name) && prevImages.get(c.name) !== c.image).map((c) => ({ container: c.name, from: prevImages.get(c.name) ?? '', to: c.image }));
  const a = before ? configRefs(before) : { configMaps: [], secrets: [] };
  const b = configRefs(after);
  const annA = before?.metadata?.annotations ?? {};
  const annB = after.metadata?.annotations ?? {};
  const checksums = [...new Set([...Object.keys(annA), ...Object.keys(annB)])].filter((k) => CHECKSUM_ANNOTATION.test(k) && annA[k] !== annB[k]).sort();
  return { images, configMaps: { from: a.configMaps, to: b.configMaps }, secrets: { from: a.secrets, to: b.secrets }, checksums };
}

const same = (a: string[], b: string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

export function isConfigChange(c: TemplateChange): boolean {
  return c.checksums.length > 0 || !same(c.configMaps.from, c.configMaps.to) || !same(c.secrets.from, c.secrets.to);
}

/** "app-config-7f9c -> app-config-8d2e", "checksum/config". */
export function configChangeText(c: TemplateChange): string {
  const parts: string[] = [];
  const swapped = (kind: string, x: { from: string[]; to: string[] }): void => {
    if (same(x.from, x.to)) return;
    const gone = x.from.filter((n) => !x.to.includes(n));
    const added = x.to.filter((n) => !x.from.includes(n));
    if (gone.length && added.length) parts.push(`${kind} ${gone.join(', ')} -> ${added.join(', ')}`);
    else if (added.length) parts.push(`${kind} ${added.join(', ')} added`);
    else parts.push(`${kind} ${gone.join(', ')} removed`);
  };
  swapped('ConfigMap', c.configMaps);
  swapped('Secret', c.secrets);
  if (c.checksums.length > 0) parts.push(`${c.checksums.join(', ')} changed`);
  return parts.join('; ');
}

/** What a config change is called in titles: the configuration it points at ("pricing-config (checksum/config)"). */
export function configLabel(c: TemplateChange): string {
  const added = [...c.configMaps.to.filter((n) => !c.configMaps.from.includes(n)), ...c.secrets.to.filter((n) => !c.secrets.from.includes(n))];
  const names = added.length > 0 ? added : [...c.configMaps.to, ...c.secrets.to];
  return `${names.join(', ') || 'the pod template'}${c.checksums.length ? ` (${c.checksums.join(', ')})` : ''}`;
}

// ------------------------------------------------------------------------------------------

interface Rollout {
  rs: K8sReplicaSet;
  revision: number;
  createdAt?: Date;
  images: string[];
  version: string;
}

function rolloutOf(rs: K8sReplicaSet, previous?: K8sReplicaSet): Rollout {
  const containers = rs.spec.template.spec.containers;
  const images = containers.map((c) => c.image);
  const prevImages = new Map((previous?.spec.template.spec.containers ?? []).map((c) => [c.name, c.image]));
  const changed = containers.find((c) => prevImages.has(c.name) && prevImages.get(c.name) !== c.image) ?? containers[0];
  const created = rs.metadata.creationTimestamp ? new Date(rs.metadata.creationTimestamp) : undefined;
  return {
    rs,
    revision: revisionOf(rs),
    ...(created && !Number.isNaN(created.getTime()) ? { createdAt: created } : {}),
    images,
    version: changed ? imageTag(changed.image) : `revision ${revisionOf(rs)}`,
  };
}

/** Incident alerts may carry their transitions (IncidentAlert): the earliest firing one is the first flap we know of. */
const WithTransitions = z.object({ transitions: z.array(z.object({ at: z.string(), status: z.string() })) });

/** Earliest time any of the alerts fired: startsAt, or an earlier recorded firing transition. */
export function earliestFiring(alerts: Alert[]): number | undefined {
  const times: number[] = [];
  for (const a of alerts) {
    const t = Date.parse(a.startsAt);
    if (Number.isFinite(t)) times.push(t);
    const parsed = WithTransitions.safeParse(a);
    if (parsed.success) {
      for (const tr of parsed.data.transitions) {
        const at = Date.parse(tr.at);
        if (tr.status === 'firing' && Number.isFinite(at)) times.push(at);
      }
    }
  }
  return times.length ? Math.min(...times) : undefined;
}

const FAILURE_TEXT: Record<PodFailure, string> = {
  'crash-loop': 'CrashLoopBackOff',
  restarts: 'restarting',
  'oom-kill': 'OOMKilled',
  'image-pull': 'image pull failing',
  'config-error': 'CreateContainerConfigError',
  'readiness-failing': 'not ready',
};

/** Would a rollback to the previous revision restore the old state? A reason when it would not. */
async function rollbackBlocker(k8s: KubernetesPort, namespace: string, change: TemplateChange, previous: K8sReplicaSet, signal: AbortSignal): Promise<string | undefined> {
  const missing: string[] = [];
  for (const name of configRefs(previous.spec.template).configMaps) if (!(await k8s.getConfigMap(namespace, name, signal))) missing.push(name);
  if (missing.length > 0) return `revision ${revisionOf(previous)} references ConfigMap ${missing.join(', ')}, which no longer exists: its pods would fail with CreateContainerConfigError`;
  const inPlace = change.images.length === 0 && change.checksums.length > 0 && same(change.configMaps.from, change.configMaps.to) && same(change.secrets.from, change.secrets.to);
  if (inPlace) {
    const shared = [...change.configMaps.to, ...change.secrets.to].join(', ');
    return `only ${change.checksums.join(', ')} changed: the content of ${shared || 'the referenced configuration'} was edited in place, and a rollback restores the annotation but not that content (the pods would restart on the same configuration); restore the previous content (from Git) instead`;
  }
  return undefined;
}

export const changeCorrelationCheck: Check = {
  id: ID,
  title: 'Change correlation (rollouts and config vs onset)',
  subjectKind: 'workload',
  async run(ctx): Promise<CheckResult> {
    const subject = ctx.subject;
    if (subject.kind !== 'workload') return { findings: [], discovered: [] };
    const k8s = ctx.ports.kubernetes;
    if (!k8s) return notConfigured(ID, subject, 'recent rollouts', 'Kubernetes');
    const wl = `${subject.namespace}/${subject.deployment}`;
    const deployment = await k8s.getDeployment(subject.namespace, subject.deployment, ctx.signal);
    if (!deployment) {
      return {
        findings: [
          makeFinding({
            check: ID,
            subject,
            discriminator: 'missing',
            severity: 'warning',
            title: `Deployment ${wl} not found`,
            summary: `no deployment ${wl}: cannot correlate rollouts`,
            evidence: [{ query: `kubectl get deployment ${subject.deployment} -n ${subject.namespace}`, numbers: {} }],
          }),
        ],
        discovered: [],
      };
    }
    const pods = await k8s.listPods(subject.namespace, deploymentSelector(deployment), ctx.signal);
    const rev = await podsByRevision(k8s, deployment, pods, ctx.signal);
    const rss = rev.all;
    const query = `kubectl get rs -n ${subject.namespace} -l ${deploymentSelector(deployment)} (revision annotation, images, config references, creationTimestamp); kubectl rollout history deployment/${subject.deployment} -n ${subject.namespace}`;
    const rollouts = rss.map((rs, i) => rolloutOf(rs, rss[i - 1]));
    const current = rollouts[rollouts.length - 1];
    const previous = rollouts[rollouts.length - 2];
    const detail = rollouts.map((r) => `revision ${r.revision}  ${r.createdAt?.toISOString() ?? '?'}  ${r.images.join(', ')}${configRefs(r.rs.spec.template).configMaps.length ? `  ConfigMaps ${configRefs(r.rs.spec.template).configMaps.join(', ')}` : ''}`).join('\n');

    const firstFlap = readDate(ctx.facts, FACT.firstFlapAt);
    const alertStart = ctx.incident.startedAt;
    const alertsFirst = earliestFiring(ctx.incident.alerts);
    const onsetMs = Math.min(firstFlap?.getTime() ?? Infinity, alertStart.getTime(), alertsFirst ?? Infinity);
    const onset = new Date(onsetMs);
    const onsetName = firstFlap && firstFlap.getTime() === onsetMs ? 'the flapping began' : onsetMs < alertStart.getTime() ? 'the alert first fired' : 'the alert started';

    // ConfigMaps edited in place after the last rollout, shortly before the onset.
    const cmNames = configRefs(deployment.spec.template).configMaps;
    const cms = await Promise.all(cmNames.map(async (n) => [n, await k8s.getConfigMap(subject.namespace, n, ctx.signal)] as const));
    const lastRollout = current?.createdAt?.getTime() ?? -Infinity;
    const edited = cms
      .map(([name, cm]) => ({ name, at: Date.parse(cm?.updatedAt ?? cm?.metadata.creationTimestamp ?? '') }))
      .filter((x) => Number.isFinite(x.at) && x.at > lastRollout && x.at <= onsetMs && onsetMs - x.at <= SUSPECT_WINDOW_MS)
      .sort((a, b) => b.at - a.at || a.name.localeCompare(b.name));
    const findings: Finding[] = [];
    const cmEdit = edited[0];
    if (cmEdit) {
      const lead = duration(onsetMs - cmEdit.at);
      findings.push(
        makeFinding({
          check: ID,
          subject,
          discriminator: 'config-edited',
          severity: 'warning',
          title: `ConfigMap ${cmEdit.name} edited in place ${lead} before the onset`,
          summary: `ConfigMap ${subject.namespace}/${cmEdit.name}, referenced by ${wl}, was last written at ${hhmm(new Date(cmEdit.at), true)}, ${lead} before ${onsetName} and after the last rollout: pods that mount it see the change within a minute, pods that read it as environment only after a restart. No rollout to roll back: restore its previous content (from Git)`,
          evidence: [{ query: `kubectl get configmap -n ${subject.namespace} ${cmEdit.name} -o jsonpath='{.metadata.managedFields[*].time}'`, numbers: { configMap: cmEdit.name, writtenAt: new Date(cmEdit.at).toISOString(), onset: onset.toISOString() } }],
          signals: { 'config-change': ['supports', `ConfigMap ${cmEdit.name} edited ${lead} before the onset`] },
          symptoms: [{ id: 'config-change', text: `ConfigMap ${cmEdit.name} edited in place ${lead} before the onset` }],
          facts: { configChange: cmEdit.name },
        }),
      );
    }

    if (!current || !current.createdAt) {
      findings.push(
        makeFinding({
          check: ID,
          subject,
          discriminator: 'no-history',
          severity: 'info',
          title: `No rollout history for ${wl}`,
          summary: `no ReplicaSet with a creation time is controlled by ${wl}: no rollout to correlate`,
          evidence: [{ query, numbers: { replicaSets: rss.length } }],
          signals: { 'bad-deploy': ['neutral', 'no rollout history'] },
        }),
      );
      return { findings, discovered: [] };
    }
    const change = templateChange(previous?.rs.spec.template, current.rs.spec.template);
    const configOnly = isConfigChange(change) && change.images.length === 0;
    const configText = configChangeText(change);
    const cause: HypothesisName = configOnly ? 'config-change' : 'bad-deploy';
    const what = configOnly ? `config change (${configText})` : `deploy ${current.version}${isConfigChange(change) ? ` with a config change (${configText})` : ''}`;
    const deployAt = current.createdAt;
    const numbers: Record<string, number | string> = {
      revision: current.revision,
      version: current.version,
      deployedAt: deployAt.toISOString(),
      alertStartedAt: alertStart.toISOString(),
      replicaSets: rss.length,
    };
    if (firstFlap) numbers.firstFlapAt = firstFlap.toISOString();
    if (previous) {
      numbers.previousRevision = previous.revision;
      numbers.previousVersion = previous.version;
    }
    if (configText) numbers.configChange = configText;
    const facts: Record<string, unknown> = { deployVersion: current.version, deployRevision: current.revision, deployedAt: deployAt.toISOString() };
    if (configOnly) facts.configChange = configLabel(change);
    const evidence = [{ query, numbers, detail }];
    const push = (f: Omit<FindingInput, 'check' | 'subject' | 'evidence' | 'facts'>): CheckResult => {
      findings.push(makeFinding({ check: ID, subject, evidence, facts, ...f }));
      return { findings, discovered: [] };
    };

    if (deployAt.getTime() > onsetMs) {
      const beforePage = deployAt.getTime() <= alertStart.getTime();
      const gap = duration(deployAt.getTime() - onsetMs);
      return push({
        discriminator: 'after-onset',
        severity: 'info',
        title: `${configOnly ? 'Config change' : `Deploy ${current.version}`} is a red herring: ${onsetName} ${gap} before it`,
        summary: `${wl} revision ${current.revision} (${what}) rolled out at ${hhmm(deployAt, true)}, ${gap} after ${onsetName} (${hhmm(onset, true)})${beforePage ? `, even though it came ${duration(alertStart.getTime() - deployAt.getTime())} before the page` : ''}: the problem predates it, so it is not the cause`,
        signals: { [cause]: ['refutes', `${onsetName} ${gap} before it (${hhmm(onset)} vs deploy ${hhmm(deployAt)})`] },
      });
    }

    const lead = onsetMs - deployAt.getTime();
    if (lead > SUSPECT_WINDOW_MS) {
      return push({
        discriminator: 'no-recent-deploy',
        severity: 'info',
        title: `No rollout near the onset: last was ${current.version}, ${duration(lead)} before`,
        summary: `the last rollout of ${wl} (revision ${current.revision}, ${what}) was at ${hhmm(deployAt, true)}, ${duration(lead)} before ${onsetName}: no rollout correlates`,
        signals: { 'bad-deploy': ['refutes', `the last rollout (${current.version}) was ${duration(lead)} before the onset`], ...(cmEdit ? {} : { 'config-change': ['refutes', `no configuration change in the ${duration(SUSPECT_WINDOW_MS)} before the onset`] as const }) },
      });
    }

    // Shortly before the onset: look at the new pods against the older ones.
    const failing = (xs: K8sPod[]): K8sPod[] => xs.filter((p) => failuresOf(p, ctx.now).size > 0);
    const newFailing = failing(rev.newPods);
    const oldFailing = failing(rev.oldPods);
    const kinds = [...new Set(newFailing.flatMap((p) => [...failuresOf(p, ctx.now)]))].sort() as PodFailure[];
    const terms = terminations(newFailing);
    const reasons = [...new Set(terms.map((t) => (t.reason ? `${t.reason} (exit ${t.exitCode})` : `exit ${t.exitCode}`)))].sort();
    numbers.newPods = rev.newPods.length;
    numbers.failingNewPods = newFailing.length;
    numbers.newPodRestarts = rev.newPods.reduce((a, p) => a + restarts(p), 0);
    numbers.previousRevisionPods = rev.oldPods.length;
    numbers.failingPreviousPods = oldFailing.length;
    const changeSymptom: SymptomInput = configOnly ? { id: 'config-change', text: `${what} rolled out ${duration(lead)} before the onset` } : { id: 'recent-change', text: `${what} rolled out ${duration(lead)} before the onset` };

    if (newFailing.length > 0 && oldFailing.length === 0) {
      const failText = `${newFailing.length} of ${rev.newPods.length} new pods failing (${kinds.map((k) => FAILURE_TEXT[k]).join(', ')}${reasons.length ? `; ${reasons.join(', ')}` : ''})${rev.oldPods.length ? ` while the ${rev.oldPods.length} older pods run` : ' (no older pod is left to compare)'}`;
      const blocker = previous ? await rollbackBlocker(k8s, subject.namespace, change, previous.rs, ctx.signal) : 'there is no previous revision';
      const proposals: ProposalNote[] =
        previous && !blocker
          ? [
              {
                mitigation: { kind: 'rollback', namespace: subject.namespace, deployment: subject.deployment, toRevision: previous.revision },
                rationale: `revision ${current.revision} (${what}) went out ${duration(lead)} before the onset and only its pods fail (${kinds.map((k) => FAILURE_TEXT[k]).join(', ')}); revision ${previous.revision} (${previous.version}) ran before it`,
                risk: `rolls ${wl} back to ${previous.version} (revision ${previous.revision}): changes shipped with revision ${current.revision} (including data or config migrations) are undone; pods are replaced by a rolling update${change.secrets.from.length ? `; Secret(s) ${change.secrets.from.join(', ')} of revision ${previous.revision} are not checked (warroom does not read Secrets)` : ''}`,
              },
            ]
          : [];
      const symptoms: SymptomInput[] = [changeSymptom, ...kinds.map((k): SymptomInput => ({ id: k, scope: 'new-revision', text: `${newFailing.filter((p) => failuresOf(p, ctx.now).has(k)).length} of ${rev.newPods.length} new pods ${FAILURE_TEXT[k]} (revision ${current.revision} only)` }))];
      return push({
        discriminator: 'before-onset-failing',
        severity: 'critical',
        title: `${configOnly ? 'Config change' : `Deploy ${current.version}`} ${duration(lead)} before the onset, new pods failing`,
        summary: `${wl} revision ${current.revision} (${what}) rolled out at ${hhmm(deployAt, true)}, ${duration(lead)} before ${onsetName}; ${failText}${previous ? (blocker ? `; no rollback proposed: ${blocker}` : `; revision ${previous.revision} (${previous.version}) is the rollback target`) : '; no previous revision to roll back to'}`,
        signals: { [cause]: ['supports', `${configOnly ? 'changed' : 'deployed'} ${duration(lead)} before the onset, ${failText}`] },
        symptoms,
        proposals,
      });
    }
    if (newFailing.length > 0) {
      return push({
        discriminator: 'before-onset-all-failing',
        severity: 'info',
        title: `${configOnly ? 'Config change' : `Deploy ${current.version}`} ${duration(lead)} before the onset; older pods fail too`,
        summary: `${wl} revision ${current.revision} (${what}) rolled out ${duration(lead)} before ${onsetName}, but ${oldFailing.length} of the ${rev.oldPods.length} older pods fail as well as ${newFailing.length} new ones: the failure is not confined to the new revision, so the change does not explain it`,
        signals: { [cause]: ['refutes', `the previous revision's pods fail too (${oldFailing.length} of ${rev.oldPods.length})`] },
      });
    }
    return push({
      discriminator: 'before-onset',
      severity: 'warning',
      title: `${configOnly ? 'Config change' : `Deploy ${current.version}`} ${duration(lead)} before the onset`,
      summary: `${wl} revision ${current.revision} (${what}) rolled out at ${hhmm(deployAt, true)}, ${duration(lead)} before ${onsetName}; its ${rev.newPods.length} pods are not failing, so the link is timing only`,
      signals: { [cause]: ['supports', `${configOnly ? 'changed' : 'deployed'} ${duration(lead)} before the onset (timing only, no failing pods)`] },
      symptoms: [changeSymptom],
    });
  },
};
