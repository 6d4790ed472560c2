/**
 * pods: restarts and the last termination's reason and exit-code class (137 OOMKilled, 137 SIGKILL,
 * 1 application error, 143 SIGTERM), CrashLoopBackOff, image pull errors, containers that cannot
 * start for their configuration (CreateContainerConfigError), running pods that stay unready,
 * evictions, and probes (a missing readiness probe is noted, not "fixed"). Each failure is reported
 * with the revision it is confined to (the newest one, or every pod), so the assessment can tell a
 * bad deploy from a fleet-wide problem. Pending pods are the scheduling check's.
 */
import type { Finding } from '../../../domain/diagnostics.js';
import type { K8sContainer, K8sPod } from '../../ports.js';
import type { Scope } from '../causes.js';
import { formatMemory, parseMemoryBytes } from '../quantity.js';
import { makeFinding, notConfigured, type Check, type CheckResult, type SymptomInput } from '../types.js';
import { CONFIG_ERROR_REASONS, EXIT_CLASS_TEXT, IMAGE_PULL_REASONS, deploymentSelector, exitClass, failureScope, failuresOf, podsByRevision, restarts, scopeText, terminations, waitingReasons, type PodFailure } from './k8s-util.js';

const ID = 'pods';

function countBy<T>(xs: T[], key: (x: T) => string): [string, number][] {
  const m = new Map<string, number>();
  for (const x of xs) m.set(key(x), (m.get(key(x)) ?? 0) + 1);
  return [...m.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

const names = (pods: K8sPod[]): string => pods.map((p) => p.metadata.name).join(', ');

export const podsCheck: Check = {
  id: ID,
  title: 'Pods: restarts, terminations, image pulls, readiness, evictions',
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

    const rev = await podsByRevision(k8s, deployment, pods, ctx.signal);
    const failing = (kind: PodFailure): K8sPod[] => pods.filter((p) => failuresOf(p, ctx.now).has(kind));
    const scopeOf = (xs: K8sPod[]): 'new-revision' | 'one-pod' | 'all-pods' => failureScope(xs, rev, pods.length, ctx.now);
    const where = (xs: K8sPod[]): string => scopeText(scopeOf(xs), rev);
    const symptom = (id: SymptomInput['id'], xs: K8sPod[], text: string): SymptomInput => ({ id, scope: scopeOf(xs) as Scope, text: `${text} (${where(xs)})` });
    const revNumbers = (xs: K8sPod[]): Record<string, number> => ({ newRevisionPods: rev.newPods.filter((p) => xs.includes(p)).length, olderPods: rev.oldPods.filter((p) => xs.includes(p)).length });

    const terms = terminations(pods).filter((t) => exitClass(t) !== 'completed');
    const totalRestarts = pods.reduce((a, p) => a + restarts(p), 0);
    const crashLooping = failing('crash-loop');
    // Restarts the kubelet caused (SIGTERM 143, SIGKILL 137 without OOM: liveness kills, grace expiry) are the probes check's.
    const killedByKubelet = new Set(terms.filter((t) => exitClass(t) === 'sigterm' || exitClass(t) === 'sigkill').map((t) => t.pod));
    const restarting = failing('restarts').filter((p) => !killedByKubelet.has(p.metadata.name) || crashLooping.includes(p));
    const oomPods = failing('oom-kill');
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
      const affected = [...new Set([...crashLooping, ...restarting])];
      const numbers: Record<string, number | string> = { pods: pods.length, restarts: totalRestarts, crashLoopBackOff: crashLooping.length, ...revNumbers(affected) };
      for (const [cls, n] of classes) numbers[`exit_${cls}`] = n;
      const isOom = oom.length > 0;
      const severity = crashLooping.length > 0 || isOom ? 'critical' : 'warning';
      const symptoms: SymptomInput[] = [];
      if (crashLooping.length > 0) symptoms.push(symptom('crash-loop', crashLooping, `${crashLooping.length} of ${pods.length} pods in CrashLoopBackOff`));
      if (restarting.length > 0) symptoms.push(symptom('restarts', restarting, `${totalRestarts} restarts in ${restarting.length} of ${pods.length} pods`));
      if (oomPods.length > 0) symptoms.push(symptom('oom-kill', oomPods, `${oomPods.length} pod(s) OOMKilled (exit 137${memLimits.length ? `, ${memLimits.join(', ')}` : ''})`));
      findings.push(
        makeFinding({
          check: ID,
          subject,
          discriminator: 'restarts',
          severity,
          title: crashLooping.length > 0
            ? `${crashLooping.length} of ${pods.length} pods in CrashLoopBackOff${isOom ? ', OOMKilled' : ''}`
            : `${totalRestarts} restarts across ${pods.length} pods${isOom ? ', OOMKilled' : ''}`,
          summary: `${totalRestarts} restarts (${where(affected.length ? affected : pods)}); last terminations: ${classText || 'none recorded'}${memLimits.length ? ` (${memLimits.join(', ')})` : ''}${crashLooping.length ? `; CrashLoopBackOff: ${names(crashLooping)}` : ''}`,
          evidence: [{ query, numbers, detail: terms.map((t) => `${t.pod}/${t.container}: ${t.reason ?? '-'} exit ${t.exitCode} ${t.finishedAt ?? ''}`).join('\n') }],
          signals: isOom
            ? { 'oom-crashloop': ['supports', `${oom.length} container(s) OOMKilled (exit 137)${crashLooping.length ? `, ${crashLooping.length} pod(s) in CrashLoopBackOff` : ''}`] }
            : { 'oom-crashloop': ['refutes', `restarts are ${classes.map(([c]) => c).join('/') || 'unexplained'}, not OOMKilled`] },
          symptoms,
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

    // Containers that cannot start: image pulls and configuration errors.
    const cannotStart: [PodFailure, 'image-pull' | 'config-error', Set<string>, string][] = [
      ['image-pull', 'image-pull', IMAGE_PULL_REASONS, 'cannot pull their image (a bad tag, a missing image or registry credentials)'],
      ['config-error', 'config-error', CONFIG_ERROR_REASONS, 'cannot create their container (CreateContainerConfigError: a ConfigMap, Secret or key the template references is missing)'],
    ];
    for (const [kind, symptomId, reasons, what] of cannotStart) {
      const stuck = failing(kind);
      if (stuck.length === 0) continue;
      const scope = scopeOf(stuck);
      const detail = stuck
        .map((p) => `${p.metadata.name}: ${(p.status.containerStatuses ?? []).filter((cs) => reasons.has(cs.state?.waiting?.reason ?? '')).map((cs) => `${cs.name} ${cs.state?.waiting?.reason ?? ''}${cs.state?.waiting?.message ? `: ${cs.state.waiting.message}` : ''}${kind === 'image-pull' && cs.image ? ` (${cs.image})` : ''}`).join('; ')}`)
        .join('\n');
      const reasonsSeen = [...new Set(stuck.flatMap((p) => waitingReasons(p).filter((r) => reasons.has(r))))].sort();
      const images = kind === 'image-pull' ? [...new Set(stuck.flatMap((p) => (p.status.containerStatuses ?? []).filter((cs) => reasons.has(cs.state?.waiting?.reason ?? '')).map((cs) => cs.image ?? cs.name)))].sort() : [];
      findings.push(
        makeFinding({
          check: ID,
          subject,
          discriminator: kind,
          severity: 'critical',
          title: `${stuck.length} pod(s) ${kind === 'image-pull' ? 'cannot pull their image' : 'cannot create their container'} (${reasonsSeen.join(', ')})`,
          summary: `${names(stuck)} ${what}${images.length ? `: ${images.join(', ')}` : ''}, ${where(stuck)}`,
          evidence: [{ query, numbers: { pods: stuck.length, ...revNumbers(stuck) }, detail }],
          signals: scope === 'new-revision' ? { 'bad-deploy': ['supports', `${stuck.length} new pod(s) ${reasonsSeen.join('/')}, the previous revision runs`] } : {},
          symptoms: [symptom(symptomId, stuck, `${stuck.length} pod(s) ${reasonsSeen.join('/')}`)],
        }),
      );
    }

    // Running but never ready.
    const unready = failing('readiness-failing');
    if (unready.length > 0) {
      findings.push(
        makeFinding({
          check: ID,
          subject,
          discriminator: 'unready',
          severity: 'warning',
          title: `${unready.length} of ${pods.length} running pods not ready`,
          summary: `${names(unready)} run but fail their readiness probe (${where(unready)}): they take no traffic, so the others carry it (see the probes check for the probe's own words)`,
          evidence: [{ query, numbers: { pods: pods.length, unready: unready.length, ...revNumbers(unready) } }],
          symptoms: [symptom('readiness-failing', unready, `${unready.length} of ${pods.length} pods running but not ready`)],
        }),
      );
    }

    // Evictions (pods kept with status.reason Evicted, and Evicted events).
    const evictedPods = pods.filter((p) => p.status.reason === 'Evicted');
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
          symptoms: [{ id: 'eviction', text: `${count} pod(s) evicted${messages[0] ? ` (${messages[0]})` : ''}` }],
        }),
      );
    }
    return { findings, discovered: [] };
  },
};
