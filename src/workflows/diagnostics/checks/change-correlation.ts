/**
 * change-correlation: rollouts (ReplicaSet revisions, images, creation times) against the page
 * and the first flap. A deploy after the flapping began is a red herring, said plainly; a deploy
 * shortly before the onset with crashing new pods supports a bad deploy and proposes a rollback to
 * the previous revision.
 */
import { z } from 'zod';
import type { Alert } from '../../../domain/alert.js';
import type { K8sPod, K8sReplicaSet } from '../../ports.js';
import { FACT, duration, hhmm, makeFinding, notConfigured, readDate, type Check, type CheckResult } from '../types.js';
import { deploymentSelector, imageTag, isCrashing, podsOwnedBy, replicaSetsOf, restarts, revisionOf, terminations } from './k8s-util.js';

const ID = 'change-correlation';
/** A rollout this long before the onset counts as "shortly before". */
export const SUSPECT_WINDOW_MS = 2 * 3600_000;

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

function podsOf(pods: K8sPod[], rs: K8sReplicaSet): K8sPod[] {
  const owned = podsOwnedBy(pods, rs.metadata.name);
  if (owned.length > 0) return owned;
  const hash = rs.metadata.labels?.['pod-template-hash'];
  return hash ? pods.filter((p) => p.metadata.labels?.['pod-template-hash'] === hash) : [];
}

export const changeCorrelationCheck: Check = {
  id: ID,
  title: 'Change correlation (rollouts vs onset)',
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
    const rss = await replicaSetsOf(k8s, deployment, ctx.signal);
    const query = `kubectl get rs -n ${subject.namespace} -l ${deploymentSelector(deployment)} (revision annotation, images, creationTimestamp); kubectl rollout history deployment/${subject.deployment} -n ${subject.namespace}`;
    const rollouts = rss.map((rs, i) => rolloutOf(rs, rss[i - 1]));
    const current = rollouts[rollouts.length - 1];
    const previous = rollouts[rollouts.length - 2];
    const detail = rollouts.map((r) => `revision ${r.revision}  ${r.createdAt?.toISOString() ?? '?'}  ${r.images.join(', ')}`).join('\n');

    const firstFlap = readDate(ctx.facts, FACT.firstFlapAt);
    const alertStart = ctx.incident.startedAt;
    const alertsFirst = earliestFiring(ctx.incident.alerts);
    const onsetMs = Math.min(firstFlap?.getTime() ?? Infinity, alertStart.getTime(), alertsFirst ?? Infinity);
    const onset = new Date(onsetMs);
    const onsetName = firstFlap && firstFlap.getTime() === onsetMs ? 'the flapping began' : onsetMs < alertStart.getTime() ? 'the alert first fired' : 'the alert started';

    if (!current || !current.createdAt) {
      return {
        findings: [
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
        ],
        discovered: [],
      };
    }
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
    const facts = { deployVersion: current.version, deployRevision: current.revision, deployedAt: deployAt.toISOString() };
    const evidence = [{ query, numbers, detail }];

    if (deployAt.getTime() > onsetMs) {
      const beforePage = deployAt.getTime() <= alertStart.getTime();
      const gap = duration(deployAt.getTime() - onsetMs);
      return {
        findings: [
          makeFinding({
            check: ID,
            subject,
            discriminator: 'after-onset',
            severity: 'info',
            title: `Deploy ${current.version} is a red herring: ${onsetName} ${gap} before it`,
            summary: `${wl} revision ${current.revision} (${current.version}) rolled out at ${hhmm(deployAt, true)}, ${gap} after ${onsetName} (${hhmm(onset, true)})${beforePage ? `, even though it came ${duration(alertStart.getTime() - deployAt.getTime())} before the page` : ''}: the problem predates it, so it is not the cause`,
            evidence,
            signals: { 'bad-deploy': ['refutes', `${onsetName} ${gap} before it (${hhmm(onset)} vs deploy ${hhmm(deployAt)})`] },
            facts,
          }),
        ],
        discovered: [],
      };
    }

    const lead = onsetMs - deployAt.getTime();
    if (lead > SUSPECT_WINDOW_MS) {
      return {
        findings: [
          makeFinding({
            check: ID,
            subject,
            discriminator: 'no-recent-deploy',
            severity: 'info',
            title: `No rollout near the onset: last was ${current.version}, ${duration(lead)} before`,
            summary: `the last rollout of ${wl} (revision ${current.revision}, ${current.version}) was at ${hhmm(deployAt, true)}, ${duration(lead)} before ${onsetName}: no change correlates`,
            evidence,
            signals: { 'bad-deploy': ['refutes', `the last rollout (${current.version}) was ${duration(lead)} before the onset`] },
            facts,
          }),
        ],
        discovered: [],
      };
    }

    // Shortly before the onset: look at the new pods.
    const pods = await k8s.listPods(subject.namespace, deploymentSelector(deployment), ctx.signal);
    const newPods = podsOf(pods, current.rs);
    const crashing = newPods.filter(isCrashing);
    const terms = terminations(crashing);
    const reasons = [...new Set(terms.map((t) => (t.reason ? `${t.reason} (exit ${t.exitCode})` : `exit ${t.exitCode}`)))].sort();
    numbers.newPods = newPods.length;
    numbers.crashingNewPods = crashing.length;
    numbers.newPodRestarts = newPods.reduce((a, p) => a + restarts(p), 0);
    const oldPods = previous ? podsOf(pods, previous.rs) : [];
    numbers.previousRevisionPods = oldPods.length;
    numbers.crashingPreviousPods = oldPods.filter(isCrashing).length;

    if (crashing.length > 0) {
      const crashText = `${crashing.length} of ${newPods.length} new pods crashing${reasons.length ? ` (${reasons.join(', ')})` : ''}`;
      return {
        findings: [
          makeFinding({
            check: ID,
            subject,
            discriminator: 'before-onset-crashing',
            severity: 'critical',
            title: `Deploy ${current.version} ${duration(lead)} before the onset, new pods crashing`,
            summary: `${wl} revision ${current.revision} (${current.version}) rolled out at ${hhmm(deployAt, true)}, ${duration(lead)} before ${onsetName}; ${crashText}${previous ? `; revision ${previous.revision} (${previous.version}) is the rollback target` : '; no previous revision to roll back to'}`,
            evidence,
            signals: { 'bad-deploy': ['supports', `deployed ${duration(lead)} before the onset, ${crashText}`] },
            proposals: previous
              ? [
                  {
                    mitigation: { kind: 'rollback', namespace: subject.namespace, deployment: subject.deployment, toRevision: previous.revision },
                    rationale: `revision ${current.revision} (${current.version}) went out ${duration(lead)} before the onset and its pods crash (${reasons.join(', ') || 'restarts'}); revision ${previous.revision} (${previous.version}) ran before it`,
                    risk: `rolls ${wl} back to ${previous.version}: changes shipped with ${current.version} (including data or config migrations) are undone; pods are replaced by a rolling update`,
                  },
                ]
              : [],
            facts,
          }),
        ],
        discovered: [],
      };
    }
    return {
      findings: [
        makeFinding({
          check: ID,
          subject,
          discriminator: 'before-onset',
          severity: 'warning',
          title: `Deploy ${current.version} ${duration(lead)} before the onset`,
          summary: `${wl} revision ${current.revision} (${current.version}) rolled out at ${hhmm(deployAt, true)}, ${duration(lead)} before ${onsetName}; its ${newPods.length} pods are not crashing, so the link is timing only`,
          evidence,
          signals: { 'bad-deploy': ['supports', `deployed ${duration(lead)} before the onset (timing only, no crashing pods)`] },
          facts,
        }),
      ],
      discovered: [],
    };
  },
};
