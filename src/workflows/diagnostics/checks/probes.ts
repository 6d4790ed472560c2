/**
 * probes: readiness failures and liveness kills, in the kubelet's own words (Unhealthy events
 * "Liveness probe failed: ... context deadline exceeded", Killing events "failed liveness probe,
 * will be restarted") and in the containers' last terminations (exit 143: SIGTERM, the kubelet
 * stopping a container whose liveness probe failed; 137 without OOMKilled: killed after the grace
 * period). Judged against the load (the per-pod CPU facts): probes that time out while the pods
 * run near their CPU limit are the probe failing under load, and killing busy pods makes it worse;
 * failures confined to the new revision are the deploy's.
 */
import { z } from 'zod';
import type { K8sEvent, K8sPod } from '../../ports.js';
import type { Scope } from '../causes.js';
import { FACT, makeFinding, notConfigured, readFact, round, type Check, type CheckResult, type SymptomInput } from '../types.js';
import { deploymentSelector, exitClass, failureScope, podsByRevision, scopeText, terminations } from './k8s-util.js';

const ID = 'probes';
/** Pods running at this share of their CPU request or limit (or at a plateau) are "under load". */
export const UNDER_LOAD_SHARE = 0.8;

const LIVENESS = /^Liveness probe failed/i;
const READINESS = /^Readiness probe failed/i;
const KILLED = /failed liveness probe/i;

const count = (events: K8sEvent[]): number => events.reduce((a, e) => a + (e.count ?? 1), 0);
const firstMessage = (events: K8sEvent[]): string | undefined =>
  [...events].sort((a, b) => (b.lastTimestamp ?? b.eventTime ?? '').localeCompare(a.lastTimestamp ?? a.eventTime ?? '') || (a.message ?? '').localeCompare(b.message ?? ''))[0]?.message;

export const probesCheck: Check = {
  id: ID,
  title: 'Probes: readiness failures and liveness kills',
  subjectKind: 'workload',
  dependsOn: ['cpu-per-pod'],
  async run(ctx): Promise<CheckResult> {
    const subject = ctx.subject;
    if (subject.kind !== 'workload') return { findings: [], discovered: [] };
    const k8s = ctx.ports.kubernetes;
    if (!k8s) return notConfigured(ID, subject, 'probe failures', 'Kubernetes');
    const deployment = await k8s.getDeployment(subject.namespace, subject.deployment, ctx.signal);
    if (!deployment) return { findings: [], discovered: [] };
    const pods = (await k8s.listPods(subject.namespace, deploymentSelector(deployment), ctx.signal)).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    if (pods.length === 0) return { findings: [], discovered: [] };
    const names = new Set(pods.map((p) => p.metadata.name));
    const [unhealthy, killing] = await Promise.all([k8s.listEvents(subject.namespace, 'reason=Unhealthy', ctx.signal), k8s.listEvents(subject.namespace, 'reason=Killing', ctx.signal)]);
    const mine = (es: K8sEvent[]): K8sEvent[] => es.filter((e) => e.involvedObject.kind === 'Pod' && names.has(e.involvedObject.name));
    const liveness = mine(unhealthy).filter((e) => LIVENESS.test(e.message ?? ''));
    const readiness = mine(unhealthy).filter((e) => READINESS.test(e.message ?? ''));
    const kills = mine(killing).filter((e) => KILLED.test(e.message ?? ''));
    const sigterms = terminations(pods).filter((t) => exitClass(t) === 'sigterm' || exitClass(t) === 'sigkill');
    if (liveness.length === 0 && readiness.length === 0 && kills.length === 0) return { findings: [], discovered: [] };

    const podsIn = (es: K8sEvent[]): K8sPod[] => pods.filter((p) => es.some((e) => e.involvedObject.name === p.metadata.name));
    const rev = await podsByRevision(k8s, deployment, pods, ctx.signal);
    const peak = readFact(ctx.facts, FACT.cpuFleetPeakAvgCores, z.number());
    const limit = readFact(ctx.facts, 'cpuLimitCores', z.number());
    const request = readFact(ctx.facts, 'cpuRequestCores', z.number());
    const plateau = readFact(ctx.facts, FACT.cpuPlateauCores, z.number());
    const ceiling = limit ?? request;
    // Busy: saturated at a plateau, or past most of the request (what the HPA aims at) or of the limit.
    const busyAt = [request, limit].filter((x): x is number => x !== undefined && x > 0).map((x) => UNDER_LOAD_SHARE * x);
    const underLoad = plateau !== undefined || (peak !== undefined && busyAt.some((x) => peak >= x));
    const loadText = peak === undefined ? 'the load is unknown (no CPU history)' : ceiling !== undefined ? `the pods peaked at ${round(peak)} cores against a ${round(ceiling)}-core ${limit !== undefined ? 'limit' : 'request'}` : `the pods peaked at ${round(peak)} cores`;
    const query = `kubectl get events -n ${subject.namespace} --field-selector reason=Unhealthy (and reason=Killing); kubectl get pods -n ${subject.namespace} -l ${deploymentSelector(deployment)} (lastState.terminated.exitCode)`;
    const scopeFor = (xs: K8sPod[]): Scope => {
      const s = failureScope(xs, rev, pods.length, ctx.now);
      return s === 'new-revision' ? s : underLoad ? 'under-load' : s === 'one-pod' ? 'one-pod' : 'all-pods';
    };

    const killedPods = podsIn([...liveness, ...kills]);
    const readyPods = podsIn(readiness);
    const symptoms: SymptomInput[] = [];
    if (killedPods.length > 0) {
      const scope = scopeFor(killedPods);
      symptoms.push({ id: 'liveness-kill', scope, text: `${count(kills) || count(liveness)} liveness kill(s) in ${killedPods.length} of ${pods.length} pods${sigterms.length ? ` (${sigterms.length} last exit(s) 143/137)` : ''}, ${scope === 'under-load' ? 'under load' : scopeText(scope === 'new-revision' ? 'new-revision' : 'all-pods', rev)}` });
    }
    if (readyPods.length > 0) {
      const scope = scopeFor(readyPods);
      symptoms.push({ id: 'readiness-failing', scope, text: `${count(readiness)} readiness failure(s) in ${readyPods.length} of ${pods.length} pods, ${scope === 'under-load' ? 'under load' : scopeText(scope === 'new-revision' ? 'new-revision' : 'all-pods', rev)}` });
    }
    const confined = symptoms.every((s) => s.scope === 'new-revision');
    const said = [firstMessage(liveness) ?? firstMessage(kills), firstMessage(readiness)].filter((m): m is string => m !== undefined);
    const numbers: Record<string, number | string> = {
      pods: pods.length,
      livenessFailures: count(liveness),
      livenessKills: count(kills),
      readinessFailures: count(readiness),
      exit143or137: sigterms.length,
      underLoad: underLoad ? 'yes' : peak === undefined ? 'unknown' : 'no',
    };
    if (peak !== undefined) numbers.peakCoresPerPod = round(peak);
    if (ceiling !== undefined) numbers[limit !== undefined ? 'cpuLimitCores' : 'cpuRequestCores'] = round(ceiling);
    const detail = [...liveness, ...kills, ...readiness].map((e) => `${e.involvedObject.name}: ${e.reason ?? ''} ×${e.count ?? 1}: ${e.message ?? ''}`).sort().join('\n');
    const killsText = killedPods.length > 0 ? `liveness probes failed and killed containers in ${killedPods.length} of ${pods.length} pods` : '';
    const readyText = readyPods.length > 0 ? `readiness probes failed in ${readyPods.length} of ${pods.length} pods` : '';
    const headline = [killsText, readyText].filter(Boolean).join('; ');
    return {
      findings: [
        makeFinding({
          check: ID,
          subject,
          discriminator: 'failures',
          severity: killedPods.length > 0 ? 'critical' : 'warning',
          title: `${killedPods.length > 0 ? `Liveness kills in ${killedPods.length} of ${pods.length} pods` : `Readiness failures in ${readyPods.length} of ${pods.length} pods`}${confined ? ' of the new revision' : underLoad ? ' under load' : ''}`,
          summary: `${headline}${said.length ? ` ("${said.join('"; "')}")` : ''}; ${loadText}. ${
            confined
              ? 'Only the new revision fails its probes: see the change correlation.'
              : underLoad
                ? 'The probes time out while the pods are busy: each kill restarts a busy pod (exit 143) and drops its in-flight requests, shifting its load to the others. Give the liveness probe a longer timeout and failureThreshold or a cheap endpoint; warroom does not change probes'
                : 'The probes fail without CPU pressure: look at the endpoint they call and what it depends on'
          }`,
          evidence: [{ query, numbers, detail }],
          signals: confined ? {} : { 'probe-kills': ['supports', `${headline}${underLoad ? ' under load' : ''}`] },
          symptoms,
        }),
      ],
      discovered: [],
    };
  },
};
