/** Every diagnostic check, in plan order within its subject kind (one file per check in checks/). */
import { alarmHistoryCheck } from './checks/alarm-history.js';
import { alarmStatisticCheck } from './checks/alarm-statistic.js';
import { changeCorrelationCheck } from './checks/change-correlation.js';
import { cpuPerPodCheck } from './checks/cpu-per-pod.js';
import { cpuThrottlingCheck } from './checks/cpu-throttling.js';
import { hpaCheck } from './checks/hpa.js';
import { http5xxCheck } from './checks/http-5xx.js';
import { lbBreakdownCheck } from './checks/lb-breakdown.js';
import { nodesCheck } from './checks/nodes.js';
import { podsCheck } from './checks/pods.js';
import { probesCheck } from './checks/probes.js';
import { resolveWorkloadCheck } from './checks/resolve-workload.js';
import { rolloutCheck } from './checks/rollout.js';
import { schedulingCheck } from './checks/scheduling.js';
import { sloBurnCheck } from './checks/slo-burn.js';
import { tgToWorkloadCheck } from './checks/tg-to-workload.js';
import type { Check } from './types.js';

export {
  alarmHistoryCheck,
  alarmStatisticCheck,
  changeCorrelationCheck,
  cpuPerPodCheck,
  cpuThrottlingCheck,
  hpaCheck,
  http5xxCheck,
  lbBreakdownCheck,
  nodesCheck,
  podsCheck,
  probesCheck,
  resolveWorkloadCheck,
  rolloutCheck,
  schedulingCheck,
  sloBurnCheck,
  tgToWorkloadCheck,
};

export const CATALOGUE: readonly Check[] = [
  // cloudwatch-alarm
  alarmHistoryCheck,
  alarmStatisticCheck,
  lbBreakdownCheck,
  http5xxCheck,
  // target-group
  tgToWorkloadCheck,
  // alert-labels
  sloBurnCheck,
  resolveWorkloadCheck,
  // workload
  changeCorrelationCheck,
  rolloutCheck,
  podsCheck,
  schedulingCheck,
  cpuPerPodCheck,
  probesCheck,
  cpuThrottlingCheck,
  nodesCheck,
  hpaCheck,
];

const BY_ID = new Map(CATALOGUE.map((c) => [c.id, c]));

export function checkById(id: string): Check | undefined {
  return BY_ID.get(id);
}
