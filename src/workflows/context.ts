import type { Config } from '../config.js';
import type { VerifyOptions } from './mitigations/kind.js';
import type { AlertmanagerPort, ChatPort, Clock, CloudWatchPort, JobQueue, KubernetesPort, Logger, MessageRenderer, PrometheusPort, Stores, WorkflowMetrics } from './ports.js';

/**
 * Everything a workflow (and a handler) may use, passed in: no module singletons. Built once by
 * createDeps (src/deps.ts) from the config, or by createFakeDeps (src/fake-deps.ts) in memory.
 * An optional port is an optional feature: the workflow that needs it checks it and says what is missing.
 */
export interface Ports extends Stores {
  config: Config;
  queue: JobQueue;
  chat: ChatPort;
  render: MessageRenderer;
  clock: Clock;
  /** Bound to the job and its incident inside a job (workflows/jobs/define.ts runJob). */
  log: Logger;
  metrics?: WorkflowMetrics;
  cloudwatch?: CloudWatchPort;
  kubernetes?: KubernetesPort;
  prometheus?: PrometheusPort;
  alertmanager?: AlertmanagerPort;
  /** Public base URL of this bot, for links (post-mortem). */
  publicUrl?: string;
  /** How mitigations are verified (rollout polling); defaults in mitigations/kind.ts. */
  verify?: Partial<VerifyOptions>;
}
