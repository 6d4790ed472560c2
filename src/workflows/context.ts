import type { Config } from '../config.js';
import type { AlertmanagerPort, ChatPort, Clock, CloudWatchPort, IncidentStore, JobQueue, KubernetesPort, Logger, MessageRenderer, PrometheusPort } from './ports.js';

/** Everything a workflow may use, passed in (no module singletons). */
export interface WorkflowDeps {
  config: Config;
  store: IncidentStore;
  queue: JobQueue;
  chat: ChatPort;
  render: MessageRenderer;
  clock: Clock;
  log: Logger;
  cloudwatch?: CloudWatchPort;
  kubernetes?: KubernetesPort;
  prometheus?: PrometheusPort;
  alertmanager?: AlertmanagerPort;
  /** Public base URL of this bot, for links (post-mortem). */
  publicUrl?: string;
}
