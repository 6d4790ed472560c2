/**
 * pods: restarts and the last termination's reason and exit-code class (137 OOMKilled, 137 SIGKILL,
 * 1 application error, 143 SIGTERM), CrashLoopBackOff, Pending with the scheduler's reason,
 * evictions, image pull errors, and probes (a missing readiness probe is noted, not "fixed").
 */
import type { Finding } from '../../../domain/diagnostics.js';
import type { K8sContainer, K8sEvent } from '../../ports.js';
import { formatMemory, parseMemoryBytes } from '../quantity.js';
import { makeFinding, notConfigured, type Check, type CheckResult } from '../types.js';
import { EXIT_CLASS_TEXT, deploymentSelector, exitClass, restarts, terminations, waitingReasons } from './k8s-util.js';

const ID = 'pods';
const IMAGE_PULL = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName']);

function countBy<T>(xs: T[], key: (x: T) => string): [string, number][] {
  const m = new Map<string, number>();
  for (const x of xs) m.set(key(x), (m.get(key(x)) ?? 0) + 1);
  return [...m.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

function latestMessage(events: K8sEvent[]): string | undefined {
  const ts = (e: K8sEvent): string => e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? '';
  return [...events].sort((a, b) => ts(b).localeCompare(ts(a)) || (a.message ?? '').localeCompare(b.message ?? ''))[0]?.message;
}

export const podsCheck: Check = {
  id: ID,
  title: 'Pods: restarts, terminations, scheduling, probes',
  subjectKind: 'workload',
  async run(ctx): Promise<CheckResult> {
    const subject = ctx.subject;
    if (subject.kind !== 'workload') return { findings: [], discovered: [] };
    const k8s = ctx.ports.kubernetes;
    if (!k8s) return notConfigured(ID, subject, 'the pods', 'Kubernetes');
    const wl = `${subject.namespace}/${subject.deployment}`;
    const deployment = await k8s.getDeployment(subject.namespace, subject.deployment, ctx.signal);
    if (!deployment) {
      return {
        findings: [
          makeFinding({ check: ID, subject, discriminator: 'missing', severity: 'warning', title: `Deployment ${wl} not found`, summary: `no deployment ${wl}: cannot list its pods` }),
        ],
        discovered: [],
      };
    }
    const selector = deploymentSelector(deployment);
    const pods = (await k8s.listPods(subject.namespace, selector, ctx.signal)).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    const query = `kubectl get pods -n ${subject.namespace} -l ${selector} -o json (containerStatuses, lastState.terminated)`;
    const findings: Finding[] = [];
    const containers: K8sContainer[] = deployment.spec.template.spec.containers;

    // Probes: noted, not fixed.
    const noReadiness = containers.filter((c) => c.readinessProbe === undefined);
    if (noReadiness.length > 0) {
      const has = (c: K8sContainer): string =>
        [c.startupProbe !== undefined ? 'startup' : '', c.livenessProbe !== undefined ? 'liveness' : ''].filter(Boolean).join(' and ') || 'no';
      findings.push(
        makeFinding({
          check: ID,
          subject,
          discriminator: 'no-readiness-probe',
          severity: 'info',
          title: `No readiness probe on ${noReadiness.map((c) => c.name).join(', ')} (noted)`,
          summary: `${noReadiness.map((c) => `${c.name} has ${has(c)} probe${has(c).includes(' and ') ? 's' : ''}`).join('; ')} but no readiness probe: a busy pod cannot take itself out of rotation, so it keeps receiving requests it cannot serve and cannot shed load. Noted, not a fix: a naive /health readiness probe that fails under load would pull every busy pod at once; add one only with a load-aware endpoint`,
          evidence: [
            {
              query: `kubectl get deployment ${subject.deployment} -n ${subject.namespace} -o jsonpath='{.spec.template.spec.containers[*].readinessProbe}'`,
              numbers: { containersWithoutReadinessProbe: noReadiness.length, containers: containers.length },
            },
          ],
        }),
      );
    }

    if (pods.length === 0) {
      findings.push(
        makeFinding({
          check: ID,
          subject,
          discriminator: 'no-pods',
          severity: 'warning',
          title: `No pods for ${wl}`,
          summary: `no pod matches ${selector} in ${subject.namespace} (deployment wants ${deployment.spec.replicas ?? 1})`,
          evidence: [{ query, numbers: { pods: 0, desired: deployment.spec.replicas ?? 1 } }],
        }),
      );
      return { findings, discovered: [] };
    }

    const terms = terminations(pods).filter((t) => exitClass(t) !== 'completed');
    const totalRestarts = pods.reduce((a, p) => a + restarts(p), 0);
    const crashLooping = pods.filter((p) => waitingReasons(p).includes('CrashLoopBackOff'));
    const oom = terms.filter((t) => exitClass(t) === 'oom');
    const running = pods.filter((p) => p.status.phase === 'Running');
    const ready = pods.filter((p) => (p.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'));

    // Restarts, terminations, crash loops.
    if (totalRestarts > 0 || crashLooping.length > 0 || terms.length > 0) {
      const classes = countBy(terms, (t) => exitClass(t));
      const memLimits = [
        ...new Set(
          oom.map((t) => {
            const c = containers.find((x) => x.name === t.container);
            const lim = parseMemoryBytes(c?.resources?.limits?.memory);
            return `${t.container} limit ${lim !== undefined ? formatMemory(lim) : 'none'}`;
          }),
        ),
      ].sort();
      const classText = classes.map(([cls, n]) => `${n}× ${EXIT_CLASS_TEXT[cls as keyof typeof EXIT_CLASS_TEXT]}`).join('; ');
      const numbers: Record<string, number | string> = { pods: pods.length, restarts: totalRestarts, crashLoopBackOff: crashLooping.length };
      for (const [cls, n] of classes) numbers[`exit_${cls}`] = n;
      const isOom = oom.length > 0;
      const severity = crashLooping.length > 0 || isOom ? 'critical' : 'warning';
      findings.push(
        makeFinding({
          check: ID,
          subject,
          discriminator: 'restarts',
          severity,
          title: crashLooping.length > 0
            ? `${crashLooping.length} of ${pods.length} pods in CrashLoopBackOff${isOom ? ', OOMKilled' : ''}`
            : `${totalRestarts} restarts across ${pods.length} pods${isOom ? ', OOMKilled' : ''}`,
          summary: `${totalRestarts} restarts; last terminations: ${classText || 'none recorded'}${memLimits.length ? ` (${memLimits.join(', ')})` : ''}${crashLooping.length ? `; CrashLoopBackOff: ${crashLooping.map((p) => p.metadata.name).join(', ')}` : ''}`,
          evidence: [{ query, numbers, detail: terms.map((t) => `${t.pod}/${t.container}: ${t.reason ?? '-'} exit ${t.exitCode} ${t.finishedAt ?? ''}`).join('\n') }],
          signals: isOom
            ? { 'oom-crashloop': ['supports', `${oom.length} container(s) OOMKilled (exit 137)${crashLooping.length ? `, ${crashLooping.length} pod(s) in CrashLoopBackOff` : ''}`] }
            : { 'oom-crashloop': ['refutes', `restarts are ${classes.map(([c]) => c).join('/') || 'unexplained'}, not OOMKilled`] },
          facts: { restarts: totalRestarts, oomKilled: oom.length, crashLoopBackOff: crashLooping.length },
        }),
      );
    } else {
      findings.push(
        makeFinding({
          check: ID,
          subject,
          discriminator: 'healthy',
          severity: 'info',
          title: `${ready.length}/${pods.length} pods ready, 0 restarts`,
          summary: `${running.length} of ${pods.length} pods running, ${ready.length} ready, no restarts or terminations: no crash loop`,
          evidence: [{ query, numbers: { pods: pods.length, running: running.length, ready: ready.length, restarts: 0 } }],
          signals: { 'oom-crashloop': ['refutes', `${pods.length} pods, 0 restarts`] },
        }),
      );
    }

    // Image pulls.
    const pulling = pods.filter((p) => waitingReasons(p).some((r) => IMAGE_PULL.has(r)));
    if (pulling.length > 0) {
      const images = [
        ...new Set(pulling.flatMap((p) => (p.status.containerStatuses ?? []).filter((cs) => IMAGE_PULL.has(cs.state?.waiting?.reason ?? '')).map((cs) => cs.image ?? cs.name))),
      ].sort();
      findings.push(
        makeFinding({
          check: ID,
          subject,
          discriminator: 'image-pull',
          severity: 'critical',
          title: `${pulling.length} pod(s) cannot pull their image`,
          summary: `ErrImagePull/ImagePullBackOff on ${pulling.map((p) => p.metadata.name).join(', ')} for ${images.join(', ')}: a bad tag, a missing image or registry credentials`,
          evidence: [{ query, numbers: { pods: pulling.length }, detail: pulling.map((p) => `${p.metadata.name}: ${waitingReasons(p).join(', ')}`).join('\n') }],
          signals: { 'bad-deploy': ['supports', `pods cannot pull ${images.join(', ')}`] },
        }),
      );
    }

    // Pending with the scheduler's reason.
    const pending = pods.filter((p) => p.status.phase === 'Pending' && !waitingReasons(p).some((r) => IMAGE_PULL.has(r)));
    const evictedPods = pods.filter((p) => p.status.reason === 'Evicted');
    if (pending.length > 0) {
      const events = await k8s.listEvents(subject.namespace, 'reason=FailedScheduling', ctx.signal);
      const lines = pending.map((p) => {
        const mine = events.filter((e) => e.involvedObject.name === p.metadata.name);
        const cond = (p.status.conditions ?? []).find((c) => c.type === 'PodScheduled' && c.status === 'False');
        return { pod: p.metadata.name, reason: latestMessage(mine) ?? cond?.message ?? p.status.message ?? 'no scheduler event yet' };
      });
      const insufficient = lines.some((l) => /Insufficient (cpu|memory)|didn't have free ports|Too many pods/i.test(l.reason));
      const pressure = lines.some((l) => /node\(s\) had .*(memory-pressure|disk-pressure|pid-pressure)/i.test(l.reason));
      findings.push(
        makeFinding({
          check: ID,
          subject,
          discriminator: 'pending',
          severity: 'warning',
          title: `${pending.length} pod(s) Pending`,
          summary: `Pending: ${lines.map((l) => `${l.pod}: ${l.reason}`).join('; ')}`,
          evidence: [{ query: `kubectl get events -n ${subject.namespace} --field-selector reason=FailedScheduling`, numbers: { pending: pending.length }, detail: lines.map((l) => `${l.pod}: ${l.reason}`).join('\n') }],
          signals: pressure
            ? { 'node-pressure': ['supports', 'pods cannot schedule: nodes under pressure'] }
            : insufficient
              ? { 'node-pressure': ['supports', 'pods cannot schedule: insufficient node resources'] }
              : {},
        }),
      );
    }

    // Evictions (pods kept with status.reason Evicted, and Evicted events).
    const evictEvents = await k8s.listEvents(subject.namespace, 'reason=Evicted', ctx.signal);
    const podNames = new Set(pods.map((p) => p.metadata.name));
    const prefix = `${subject.deployment}-`;
    const mineEvents = evictEvents.filter((e) => podNames.has(e.involvedObject.name) || e.involvedObject.name.startsWith(prefix));
    if (evictedPods.length > 0 || mineEvents.length > 0) {
      const messages = [...new Set([...evictedPods.map((p) => p.status.message ?? ''), ...mineEvents.map((e) => e.message ?? '')].filter(Boolean))].sort();
      const count = new Set([...evictedPods.map((p) => p.metadata.name), ...mineEvents.map((e) => e.involvedObject.name)]).size;
      findings.push(
        makeFinding({
          check: ID,
          subject,
          discriminator: 'evicted',
          severity: 'warning',
          title: `${count} pod(s) evicted`,
          summary: `evictions of ${wl}: ${messages.join('; ') || 'no message'} (the kubelet evicts under node pressure: BestEffort first, then Burstable)`,
          evidence: [{ query: `kubectl get events -n ${subject.namespace} --field-selector reason=Evicted`, numbers: { evicted: count }, detail: messages.join('\n') }],
          signals: { 'node-pressure': ['supports', `${count} pod(s) evicted${messages[0] ? `: ${messages[0]}` : ''}`] },
        }),
      );
    }
    return { findings, discovered: [] };
  },
};

