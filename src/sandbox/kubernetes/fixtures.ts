/**
 * A small cluster for tests, the demo and rehearsals: namespace `prod` with Deployment `web`
 * (revision 2 = web:v2, revision 1 = web:v1, both ReplicaSets kept), a paused Deployment `batch`,
 * a Service, an autoscaling/v2 HPA (cpu + memory) and an autoscaling/v1 HPA, two nodes, events and
 * TargetGroupBindings in two namespaces. Timestamps derive from `at`.
 */
export interface SampleClusterOptions {
  at?: Date;
  /** Replicas of `web` (default 3). */
  replicas?: number;
}

function iso(d: Date, offsetMs = 0): string {
  return new Date(d.getTime() + offsetMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const HOUR = 3_600_000;

function template(image: string, extra: Record<string, string> = {}): Record<string, unknown> {
  return {
    metadata: { labels: { app: 'web', ...extra } },
    spec: {
      containers: [
        {
          name: 'app',
          image,
          ports: [{ containerPort: 8080, name: 'http' }],
          resources: { requests: { cpu: '500m', memory: '512Mi' }, limits: { cpu: '1', memory: '1Gi' } },
          readinessProbe: { httpGet: { path: '/healthz', port: 8080 } },
        },
      ],
    },
  };
}

export function sampleCluster(opts: SampleClusterOptions = {}): Record<string, unknown>[] {
  const at = opts.at ?? new Date('2026-03-02T10:00:00Z');
  const replicas = opts.replicas ?? 3;
  const webUid = 'a1f7c1d2-0000-4000-8000-00000000web1';
  const rs1Uid = 'a1f7c1d2-0000-4000-8000-000000000rs1';
  const rs2Uid = 'a1f7c1d2-0000-4000-8000-000000000rs2';
  const owner = (name: string, uid: string, kind = 'Deployment'): Record<string, unknown>[] => [
    { apiVersion: 'apps/v1', kind, name, uid, controller: true, blockOwnerDeletion: true },
  ];
  const nodeIp = (name: string): string => name.replace(/^ip-(\d+)-(\d+)-(\d+)-(\d+)\..*$/, '$1.$2.$3.$4');
  const node = (name: string): Record<string, unknown> => ({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, 'node.kubernetes.io/instance-type': 'm5.xlarge' }, creationTimestamp: iso(at, -72 * HOUR) },
    spec: {},
    status: {
      addresses: [
        { type: 'InternalIP', address: nodeIp(name) },
        { type: 'Hostname', address: name },
      ],
      nodeInfo: {
        kubeletVersion: 'v1.34.1-eks-113cf36',
        osImage: 'Amazon Linux 2023.6.20250203',
        kernelVersion: '6.1.127-135.201.amzn2023.x86_64',
        containerRuntimeVersion: 'containerd://1.7.25',
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
      capacity: { cpu: '4', memory: '16019840Ki', pods: '58' },
      allocatable: { cpu: '3920m', memory: '15260032Ki', pods: '58' },
      conditions: [
        { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', lastTransitionTime: iso(at, -72 * HOUR) },
        { type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure', lastTransitionTime: iso(at, -72 * HOUR) },
        { type: 'Ready', status: 'True', reason: 'KubeletReady', lastTransitionTime: iso(at, -72 * HOUR) },
      ],
    },
  });
  const podUid = (i: number): string => `a1f7c1d2-0000-4000-8000-${String(i).padStart(8, '0')}0pod`;
  const pod = (i: number, nodeName: string, oom: boolean): Record<string, unknown> => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      uid: podUid(i),
      name: `web-7d9f8b6c5d-${['x2kqz', 'b8wmn', 'r4tvh', 'p9cjd', 'l6fgs'][i % 5] ?? 'zzzzz'}${i >= 5 ? String(i) : ''}`,
      namespace: 'prod',
      labels: { app: 'web', 'pod-template-hash': '7d9f8b6c5d' },
      ownerReferences: owner('web-7d9f8b6c5d', rs2Uid, 'ReplicaSet'),
      creationTimestamp: iso(at, -2 * HOUR),
    },
    spec: { nodeName, containers: (template('registry.example.com/web:v2')['spec'] as { containers: unknown[] }).containers },
    status: {
      phase: 'Running',
      hostIP: nodeIp(nodeName),
      podIP: `10.0.${nodeIp(nodeName).split('.')[2] ?? '0'}.${100 + i}`,
      podIPs: [{ ip: `10.0.${nodeIp(nodeName).split('.')[2] ?? '0'}.${100 + i}` }],
      startTime: iso(at, -2 * HOUR),
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: iso(at, -HOUR) }],
      containerStatuses: [
        {
          name: 'app',
          image: 'registry.example.com/web:v2',
          ready: true,
          started: true,
          restartCount: oom ? 4 : 0,
          state: { running: { startedAt: iso(at, -HOUR) } },
          ...(oom ? { lastState: { terminated: { reason: 'OOMKilled', exitCode: 137, startedAt: iso(at, -2 * HOUR), finishedAt: iso(at, -HOUR) } } } : {}),
        },
      ],
    },
  });
  const tgb = (namespace: string, name: string, service: string): Record<string, unknown> => ({
    apiVersion: 'elbv2.k8s.aws/v1beta1',
    kind: 'TargetGroupBinding',
    metadata: { name, namespace, labels: { 'ingress.k8s.aws/stack-name': service, 'ingress.k8s.aws/stack-namespace': namespace } },
    spec: {
      targetGroupARN: `arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/${name}/73e2d6bc24d8a067`,
      targetType: 'ip',
      serviceRef: { name: service, port: 80 },
    },
    status: { observedGeneration: 1 },
  });

  return [
    node('ip-10-0-1-10.ec2.internal'),
    node('ip-10-0-2-20.ec2.internal'),
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: 'web',
        namespace: 'prod',
        uid: webUid,
        generation: 2,
        labels: { app: 'web' },
        annotations: {
          'deployment.kubernetes.io/revision': '2',
          'kubernetes.io/change-cause': 'deploy web:v2',
          'team.example.com/owner': 'payments',
          'example.com/note': 'scaled by hand during INC-41',
        },
        creationTimestamp: iso(at, -48 * HOUR),
      },
      spec: {
        replicas,
        revisionHistoryLimit: 10,
        progressDeadlineSeconds: 600,
        selector: { matchLabels: { app: 'web' } },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
        template: template('registry.example.com/web:v2'),
      },
      status: {
        observedGeneration: 2,
        replicas,
        updatedReplicas: replicas,
        readyReplicas: replicas,
        availableReplicas: replicas,
        conditions: [
          { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.', lastTransitionTime: iso(at, -2 * HOUR) },
          { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: 'ReplicaSet "web-7d9f8b6c5d" has successfully progressed.', lastTransitionTime: iso(at, -2 * HOUR) },
        ],
      },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: 'web-5f6c7b8d9e',
        namespace: 'prod',
        uid: rs1Uid,
        labels: { app: 'web', 'pod-template-hash': '5f6c7b8d9e' },
        annotations: {
          'deployment.kubernetes.io/revision': '1',
          'deployment.kubernetes.io/desired-replicas': String(replicas),
          'deployment.kubernetes.io/max-replicas': String(replicas + 1),
          'kubernetes.io/change-cause': 'deploy web:v1',
          'team.example.com/owner': 'payments',
        },
        ownerReferences: owner('web', webUid),
        creationTimestamp: iso(at, -48 * HOUR),
      },
      spec: { replicas: 0, selector: { matchLabels: { app: 'web', 'pod-template-hash': '5f6c7b8d9e' } }, template: template('registry.example.com/web:v1', { 'pod-template-hash': '5f6c7b8d9e' }) },
      status: { replicas: 0 },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: 'web-7d9f8b6c5d',
        namespace: 'prod',
        uid: rs2Uid,
        labels: { app: 'web', 'pod-template-hash': '7d9f8b6c5d' },
        annotations: {
          'deployment.kubernetes.io/revision': '2',
          'deployment.kubernetes.io/desired-replicas': String(replicas),
          'deployment.kubernetes.io/max-replicas': String(replicas + 1),
          'kubernetes.io/change-cause': 'deploy web:v2',
          'team.example.com/owner': 'payments',
        },
        ownerReferences: owner('web', webUid),
        creationTimestamp: iso(at, -2 * HOUR),
      },
      spec: { replicas, selector: { matchLabels: { app: 'web', 'pod-template-hash': '7d9f8b6c5d' } }, template: template('registry.example.com/web:v2', { 'pod-template-hash': '7d9f8b6c5d' }) },
      status: { replicas, readyReplicas: replicas, availableReplicas: replicas },
    },
    // Same labels, another owner (a copy made by hand): `rollout undo` must ignore it.
    {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: 'web-canary-9a8b7c6d5e',
        namespace: 'prod',
        uid: 'a1f7c1d2-0000-4000-8000-0000000canry',
        labels: { app: 'web', 'pod-template-hash': '9a8b7c6d5e' },
        annotations: { 'deployment.kubernetes.io/revision': '7', 'kubernetes.io/change-cause': 'canary web:v3' },
        ownerReferences: owner('web-canary', 'a1f7c1d2-0000-4000-8000-00000000can1'),
      },
      spec: { replicas: 0, selector: { matchLabels: { app: 'web', 'pod-template-hash': '9a8b7c6d5e' } }, template: template('registry.example.com/web:v3', { 'pod-template-hash': '9a8b7c6d5e' }) },
      status: { replicas: 0 },
    },
    ...Array.from({ length: replicas }, (_, i) => pod(i, i % 2 === 0 ? 'ip-10-0-1-10.ec2.internal' : 'ip-10-0-2-20.ec2.internal', i === 0)),
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'batch', namespace: 'prod', uid: 'a1f7c1d2-0000-4000-8000-000000batch', generation: 2, annotations: { 'deployment.kubernetes.io/revision': '2' } },
      spec: {
        replicas: 1,
        paused: true,
        selector: { matchLabels: { app: 'batch' } },
        template: { metadata: { labels: { app: 'batch' } }, spec: { containers: [{ name: 'batch', image: 'registry.example.com/batch:v2' }] } },
      },
      status: { observedGeneration: 2, replicas: 0 },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: 'batch-6b5c4d3e2f',
        namespace: 'prod',
        labels: { app: 'batch', 'pod-template-hash': '6b5c4d3e2f' },
        annotations: { 'deployment.kubernetes.io/revision': '1' },
        ownerReferences: owner('batch', 'a1f7c1d2-0000-4000-8000-000000batch'),
      },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: 'batch', 'pod-template-hash': '6b5c4d3e2f' } },
        template: { metadata: { labels: { app: 'batch', 'pod-template-hash': '6b5c4d3e2f' } }, spec: { containers: [{ name: 'batch', image: 'registry.example.com/batch:v1' }] } },
      },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: 'batch-7c6d5e4f3a',
        namespace: 'prod',
        labels: { app: 'batch', 'pod-template-hash': '7c6d5e4f3a' },
        annotations: { 'deployment.kubernetes.io/revision': '2' },
        ownerReferences: owner('batch', 'a1f7c1d2-0000-4000-8000-000000batch'),
      },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: 'batch', 'pod-template-hash': '7c6d5e4f3a' } },
        template: { metadata: { labels: { app: 'batch', 'pod-template-hash': '7c6d5e4f3a' } }, spec: { containers: [{ name: 'batch', image: 'registry.example.com/batch:v2' }] } },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'web-config', namespace: 'prod', labels: { app: 'web' } },
      data: { 'LOG_LEVEL': 'info' },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'prod', labels: { app: 'web' } },
      spec: { type: 'ClusterIP', selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }] },
    },
    {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'web', namespace: 'prod' },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
        minReplicas: 2,
        maxReplicas: 6,
        metrics: [
          { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } },
          { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '800Mi' } } },
        ],
      },
      status: {
        currentReplicas: replicas,
        desiredReplicas: replicas,
        lastScaleTime: iso(at, -3 * HOUR),
        currentMetrics: [
          { type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 75, averageValue: '375m' } } },
          { type: 'Resource', resource: { name: 'memory', current: { averageValue: '600Mi' } } },
        ],
        conditions: [
          { type: 'AbleToScale', status: 'True', reason: 'ReadyForNewScale', message: 'recommended size matches current size', lastTransitionTime: iso(at, -3 * HOUR) },
          { type: 'ScalingActive', status: 'True', reason: 'ValidMetricFound', message: 'the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)', lastTransitionTime: iso(at, -3 * HOUR) },
          { type: 'ScalingLimited', status: 'False', reason: 'DesiredWithinRange', message: 'the desired count is within the acceptable range', lastTransitionTime: iso(at, -3 * HOUR) },
        ],
      },
    },
    {
      apiVersion: 'autoscaling/v1',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'batch', namespace: 'prod' },
      spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'batch' }, minReplicas: 1, maxReplicas: 4, targetCPUUtilizationPercentage: 70 },
      status: { currentReplicas: 1, desiredReplicas: 1, currentCPUUtilizationPercentage: 12 },
    },
    {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'web-7d9f8b6c5d-x2kqz.17f2a', namespace: 'prod' },
      involvedObject: { kind: 'Pod', name: 'web-7d9f8b6c5d-x2kqz', namespace: 'prod', uid: podUid(0), apiVersion: 'v1' },
      reason: 'BackOff',
      message: 'Back-off restarting failed container app in pod web-7d9f8b6c5d-x2kqz_prod',
      type: 'Warning',
      count: 4,
      firstTimestamp: iso(at, -2 * HOUR),
      lastTimestamp: iso(at, -HOUR),
      source: { component: 'kubelet' },
    },
    {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'web.17f29', namespace: 'prod' },
      involvedObject: { kind: 'Deployment', name: 'web', namespace: 'prod', uid: webUid, apiVersion: 'apps/v1' },
      reason: 'ScalingReplicaSet',
      message: 'Scaled up replica set web-7d9f8b6c5d from 0 to 3',
      type: 'Normal',
      count: 1,
      firstTimestamp: iso(at, -2 * HOUR),
      lastTimestamp: iso(at, -2 * HOUR),
      source: { component: 'deployment-controller' },
    },
    tgb('prod', 'k8s-prod-web-1a2b3c4d5e', 'web'),
    tgb('staging', 'k8s-staging-web-6f7a8b9c0d', 'web'),
  ];
}
