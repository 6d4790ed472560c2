/**
 * rollout: a rollout stuck past its progress deadline. The Deployment controller sets
 * Progressing=False with reason ProgressDeadlineExceeded once no progress was made for
 * spec.progressDeadlineSeconds (default 600); before it does, a rollout whose new ReplicaSet is
 * older than the deadline with replicas still not updated and available is past it too. Says how
 * far it got (updated, ready, available of desired) and since when; why (pods that fail or cannot
 * schedule) is for the pods, scheduling and change-correlation checks.
 */
import { makeFinding, notConfigured, duration, hhmm, type Check, type CheckResult } from '../types.js';
import { podsByRevision, deploymentSelector } from './k8s-util.js';

const ID = 'rollout';
export const DEFAULT_PROGRESS_DEADLINE_S = 600;

export const rolloutCheck: Check = {
  id: ID,
  title: 'Rollout progress against its deadline',
  subjectKind: 'workload',
  async run(ctx): Promise<CheckResult> {
    const subject = ctx.subject;
    if (subject.kind !== 'workload') return { findings: [], discovered: [] };
    const k8s = ctx.ports.kubernetes;
    if (!k8s) return notConfigured(ID, subject, 'the rollout', 'Kubernetes');
    const d = await k8s.getDeployment(subject.namespace, subject.deployment, ctx.signal);
    if (!d) return { findings: [], discovered: [] };
    const deadlineS = d.spec.progressDeadlineSeconds ?? DEFAULT_PROGRESS_DEADLINE_S;
    const desired = d.spec.replicas ?? 1;
    const st = d.status ?? {};
    const updated = st.updatedReplicas ?? 0;
    const ready = st.readyReplicas ?? 0;
    const available = st.availableReplicas ?? 0;
    const progressing = (st.conditions ?? []).find((c) => c.type === 'Progressing');
    const exceeded = progressing?.status === 'False' && progressing.reason === 'ProgressDeadlineExceeded';
    // A rollout is under way while the new template has not replaced every pod; pods that are merely
    // unavailable after a scale-up (Pending, say) are not a rollout's progress.
    const rolling = updated < desired || (st.replicas ?? desired) > desired;
    if (!exceeded && (!rolling || progressing?.reason === 'NewReplicaSetAvailable')) return { findings: [], discovered: [] };
    const pods = await k8s.listPods(subject.namespace, deploymentSelector(d), ctx.signal);
    const rev = await podsByRevision(k8s, d, pods, ctx.signal);
    const startedMs = Date.parse(rev.current?.metadata.creationTimestamp ?? '');
    const since = Date.parse(progressing?.lastTransitionTime ?? '');
    const pastDeadline = Number.isFinite(startedMs) && ctx.now.getTime() - startedMs > deadlineS * 1000;
    if (!exceeded && !pastDeadline) return { findings: [], discovered: [] };
    const wl = `${subject.namespace}/${subject.deployment}`;
    const revText = rev.current ? `revision ${rev.current.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? '?'}` : 'the new revision';
    const started = Number.isFinite(startedMs) ? ` started ${hhmm(new Date(startedMs), true)} (${duration(ctx.now.getTime() - startedMs)} ago)` : '';
    const state = `${updated} updated, ${ready} ready, ${available} available of ${desired} desired`;
    return {
      findings: [
        makeFinding({
          check: ID,
          subject,
          discriminator: 'stuck',
          severity: 'warning',
          title: exceeded ? `Rollout of ${wl} stuck: ProgressDeadlineExceeded (${deadlineS} s)` : `Rollout of ${wl} past its ${deadlineS} s progress deadline`,
          summary: `the rollout to ${revText}${started} made no progress for longer than progressDeadlineSeconds=${deadlineS}: ${state}${exceeded && Number.isFinite(since) ? `; Progressing=False since ${hhmm(new Date(since), true)}` : ''}${progressing?.message ? ` ("${progressing.message}")` : ''}. The controller does not roll back on its own: the old pods keep serving while the new ones fail or wait`,
          evidence: [
            {
              query: `kubectl rollout status deployment/${subject.deployment} -n ${subject.namespace}; kubectl get deployment ${subject.deployment} -n ${subject.namespace} -o jsonpath='{.status.conditions}'`,
              numbers: { progressDeadlineSeconds: deadlineS, desired, updated, ready, available, progressing: progressing ? `${progressing.status} (${progressing.reason ?? ''})` : 'unknown' },
            },
          ],
          symptoms: [{ id: 'rollout-stuck', text: `rollout to ${revText} past its ${deadlineS} s deadline (${state})` }],
        }),
      ],
      discovered: [],
    };
  },
};
