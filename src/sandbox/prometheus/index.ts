export { writeOpenMetrics, storedMetricName, BackfillSeries } from './openmetrics.js';
export {
  startPrometheus,
  prometheusAvailable,
  prometheusInstallHint,
  PROMETHEUS_DEBIAN_PACKAGE,
  type PrometheusServer,
  type StartPrometheusOptions,
} from './process.js';
