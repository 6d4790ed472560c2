import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { equalIgnoreHash, parseCpu, parseMemory, parseQuantity, revisionOf, rolloutStatus, semanticEqual, withoutHashLabel, type RolloutDeployment } from '../../src/domain/rollout.js';

function deployment(over: { generation?: number; replicas?: number; revision?: string; status?: RolloutDeployment['status'] } = {}): RolloutDeployment {
  const d: RolloutDeployment = {
    metadata: { name: 'web', generation: over.generation ?? 3, annotations: over.revision !== undefined ? { 'deployment.kubernetes.io/revision': over.revision } : {} },
    spec: {},
    status: over.status ?? {},
  };
  if (over.replicas !== undefined) d.spec.replicas = over.replicas;
  return d;
}

describe('rolloutStatus (kubectl rollout status)', () => {
  it('waits until the spec change is observed', () => {
    expect(rolloutStatus(deployment({ generation: 4, replicas: 3, status: { observedGeneration: 3, replicas: 3, updatedReplicas: 3, availableReplicas: 3 } }))).toEqual({
      done: false,
      failed: false,
      message: 'Waiting for deployment spec update to be observed...',
    });
  });

  it('reports new replicas, old replicas pending termination, then unavailable updated ones, in kubectl order', () => {
    const base = { generation: 4, replicas: 3 };
    expect(rolloutStatus(deployment({ ...base, status: { observedGeneration: 4, replicas: 4, updatedReplicas: 1, availableReplicas: 3 } })).message).toBe(
      'Waiting for deployment "web" rollout to finish: 1 out of 3 new replicas have been updated...',
    );
    expect(rolloutStatus(deployment({ ...base, status: { observedGeneration: 4, replicas: 5, updatedReplicas: 3, availableReplicas: 3 } })).message).toBe(
      'Waiting for deployment "web" rollout to finish: 2 old replicas are pending termination...',
    );
    expect(rolloutStatus(deployment({ ...base, status: { observedGeneration: 4, replicas: 3, updatedReplicas: 3, availableReplicas: 1 } })).message).toBe(
      'Waiting for deployment "web" rollout to finish: 1 of 3 updated replicas are available...',
    );
    expect(rolloutStatus(deployment({ ...base, status: { observedGeneration: 4, replicas: 3, updatedReplicas: 3, availableReplicas: 3 } }))).toEqual({
      done: true,
      failed: false,
      message: 'deployment "web" successfully rolled out',
    });
  });

  it('fails on ProgressDeadlineExceeded even when counts look fine, but only once observed', () => {
    const cond = [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }];
    expect(rolloutStatus(deployment({ generation: 4, replicas: 3, status: { observedGeneration: 4, replicas: 4, updatedReplicas: 1, availableReplicas: 3, conditions: cond } }))).toEqual({
      done: false,
      failed: true,
      message: 'deployment "web" exceeded its progress deadline',
    });
    expect(rolloutStatus(deployment({ generation: 5, replicas: 3, status: { observedGeneration: 4, conditions: cond } })).failed).toBe(false);
  });

  it('checks the revision when one is asked for', () => {
    const status = { observedGeneration: 3, replicas: 2, updatedReplicas: 2, availableReplicas: 2 };
    expect(rolloutStatus(deployment({ revision: '4', replicas: 2, status }), 3)).toEqual({ done: false, failed: true, message: 'desired revision (3) is different from the running revision (4)' });
    expect(rolloutStatus(deployment({ revision: '4', replicas: 2, status }), 4).done).toBe(true);
  });

  it('without spec.replicas only compares the status counts (nil replicas)', () => {
    expect(rolloutStatus(deployment({ status: { observedGeneration: 3, replicas: 0, updatedReplicas: 0, availableReplicas: 0 } })).done).toBe(true);
  });
});

describe('revisions and templates', () => {
  it('reads the revision annotation (missing = 0, garbage = undefined)', () => {
    expect(revisionOf({ metadata: { annotations: { 'deployment.kubernetes.io/revision': '12' } } })).toBe(12);
    expect(revisionOf({ metadata: {} })).toBe(0);
    expect(revisionOf({ metadata: { annotations: { 'deployment.kubernetes.io/revision': 'x1' } } })).toBeUndefined();
  });

  it('compares templates ignoring pod-template-hash and nil-vs-empty, but not other labels or values', () => {
    const a = { metadata: { labels: { app: 'web', 'pod-template-hash': 'abc' } }, spec: { containers: [{ name: 'app', image: 'web:v1', env: [] }] } };
    const b = { metadata: { labels: { app: 'web' }, annotations: {} }, spec: { containers: [{ name: 'app', image: 'web:v1' }] } };
    expect(equalIgnoreHash(a, b)).toBe(true);
    expect(equalIgnoreHash(a, { ...b, metadata: { labels: { app: 'web', tier: 'x' } } })).toBe(false);
    expect(equalIgnoreHash(a, { ...b, spec: { containers: [{ name: 'app', image: 'web:v2' }] } })).toBe(false);
    expect(withoutHashLabel(a).metadata.labels).toEqual({ app: 'web' });
    expect(a.metadata.labels['pod-template-hash']).toBe('abc');
    expect(semanticEqual({ x: 0 }, {})).toBe(false);
    expect(semanticEqual({ x: '' }, { x: '' })).toBe(true);
  });
});

describe('quantities', () => {
  it('parses CPU to cores', () => {
    expect(parseCpu('1500m')).toBe(1.5);
    expect(parseCpu('250m')).toBe(0.25);
    expect(parseCpu('2')).toBe(2);
    expect(parseCpu('0.5')).toBe(0.5);
    expect(parseCpu('100000n')).toBe(0.0001);
    expect(parseCpu('1e3m')).toBeUndefined();
    expect(parseCpu('1.5 cores')).toBeUndefined();
    expect(parseCpu(undefined)).toBeUndefined();
  });

  it('parses memory to bytes, binary and decimal suffixes and exponents', () => {
    expect(parseMemory('2.5Gi')).toBe(2_684_354_560);
    expect(parseMemory('512Mi')).toBe(536_870_912);
    expect(parseMemory('15260032Ki')).toBe(15_626_272_768);
    expect(parseMemory('1G')).toBe(1e9);
    expect(parseMemory('128974848')).toBe(128_974_848);
    expect(parseMemory('129e6')).toBe(129_000_000);
    expect(parseMemory('1E')).toBe(1e18);
    expect(parseMemory('1Gb')).toBeUndefined();
    expect(parseQuantity('-1')).toBe(-1);
  });

  it('millicores round-trip for any whole number of millicores', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000 }), (m) => {
        expect(parseCpu(`${m}m`)).toBeCloseTo(m / 1000, 9);
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000 }), (mi) => {
        expect(parseMemory(`${mi}Mi`)).toBe(mi * 1_048_576);
      }),
    );
  });
});
