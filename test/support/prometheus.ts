/** Real Prometheus with backfilled series for tests (implementation shared with the demo). */
export * from '../../src/sandbox/prometheus/index.js';
