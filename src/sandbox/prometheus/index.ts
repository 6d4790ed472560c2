export { writeOpenMetrics, storedMetricName, BackfillSeries } from './openmetrics.js';
export {
  startPrometheus,
  prometheusAvailable,
  prometheusInstallHint,
  PROMETHEUS_DEBIAN_PACKAGE,
  type PrometheusServer,
  type StartPrometheusOptions,
} from './process.js';
export { startSandboxPrometheus, prometheusMode, resolvePrometheusKind, PROMETHEUS_MODE_ENV, PrometheusMode, type SandboxPrometheusOptions } from './sandbox.js';
export { startPrometheusStandin, type StandinOptions } from './standin/server.js';
