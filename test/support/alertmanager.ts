/** Real Alertmanager pointed at a webhook for tests (implementation shared with the demo). */
export * from '../../src/sandbox/alertmanager/process.js';
