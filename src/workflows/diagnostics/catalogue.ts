/** Every diagnostic check, in plan order within its subject kind. */
import { alarmHistoryCheck } from './checks/alarm-history.js';
import { alarmStatisticCheck } from './checks/alarm-statistic.js';
import { changeCorrelationCheck } from './checks/change-correlation.js';
import { cpuPerPodCheck } from './checks/cpu-per-pod.js';
import { cpuThrottlingCheck } from './checks/cpu-throttling.js';
import { hpaCheck } from './checks/hpa.js';
import { lbBreakdownCheck } from './checks/lb-breakdown.js';
import { nodesCheck } from './checks/nodes.js';
import { podsCheck } from './checks/pods.js';
import { resolveWorkloadCheck } from './checks/resolve-workload.js';
import { tgToWorkloadCheck } from './checks/tg-to-workload.js';
import type { Check } from './types.js';

export {
  alarmHistoryCheck,
  alarmStatisticCheck,
  changeCorrelationCheck,
  cpuPerPodCheck,
  cpuThrottlingCheck,
  hpaCheck,
  lbBreakdownCheck,
  nodesCheck,
  podsCheck,
  resolveWorkloadCheck,
  tgToWorkloadCheck,
};

export const CATALOGUE: readonly Check[] = [
  alarmHistoryCheck,
  alarmStatisticCheck,
  lbBreakdownCheck,
  tgToWorkloadCheck,
  resolveWorkloadCheck,
  changeCorrelationCheck,
  podsCheck,
  cpuPerPodCheck,
  cpuThrottlingCheck,
  hpaCheck,
  nodesCheck,
];

const BY_ID = new Map(CATALOGUE.map((c) => [c.id, c]));

export function checkById(id: string): Check | undefined {
  return BY_ID.get(id);
}
