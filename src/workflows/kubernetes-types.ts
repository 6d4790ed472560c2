/**
 * Kubernetes objects as the workflows see them: plain JSON shapes (the subset used), not SDK
 * models. The Kubernetes adapter parses API responses into these (zod at the boundary); checks and
 * mitigations read them. Pod templates and specs stay open (`[k: string]: unknown`) because a
 * rollback copies them whole.
 */
export interface K8sMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: { kind: string; name: string; uid: string; controller?: boolean }[];
}

export interface K8sContainer {
  name: string;
  image: string;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  livenessProbe?: unknown;
  readinessProbe?: unknown;
  startupProbe?: unknown;
  ports?: { containerPort: number; name?: string }[];
}

export interface K8sPodTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: { containers: K8sContainer[]; [k: string]: unknown };
}

export interface K8sCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

export interface K8sDeployment {
  metadata: K8sMeta;
  spec: { replicas?: number; paused?: boolean; selector: { matchLabels?: Record<string, string> }; template: K8sPodTemplate; progressDeadlineSeconds?: number };
  status?: { observedGeneration?: number; replicas?: number; updatedReplicas?: number; readyReplicas?: number; availableReplicas?: number; unavailableReplicas?: number; conditions?: K8sCondition[] };
}

export interface K8sReplicaSet {
  metadata: K8sMeta;
  spec: { replicas?: number; template: K8sPodTemplate };
  status?: { replicas?: number; readyReplicas?: number };
}

export interface K8sContainerState {
  waiting?: { reason?: string; message?: string };
  running?: { startedAt?: string };
  terminated?: { reason?: string; exitCode: number; signal?: number; startedAt?: string; finishedAt?: string };
}

export interface K8sPod {
  metadata: K8sMeta;
  spec: { nodeName?: string; containers: K8sContainer[] };
  status: {
    phase?: string;
    reason?: string;
    message?: string;
    conditions?: K8sCondition[];
    containerStatuses?: { name: string; ready: boolean; restartCount: number; image?: string; state?: K8sContainerState; lastState?: K8sContainerState }[];
    startTime?: string;
  };
}

export interface K8sEvent {
  metadata: K8sMeta;
  involvedObject: { kind: string; name: string; namespace?: string };
  reason?: string;
  message?: string;
  type?: string;
  count?: number;
  firstTimestamp?: string;
  lastTimestamp?: string;
  eventTime?: string;
}

/** HPA normalised across autoscaling/v1 and autoscaling/v2. */
export interface K8sHpa {
  apiVersion: 'autoscaling/v1' | 'autoscaling/v2';
  metadata: K8sMeta;
  scaleTargetRef: { kind: string; name: string; apiVersion?: string };
  minReplicas: number;
  maxReplicas: number;
  /** CPU target utilisation (% of request), when the HPA has one. */
  targetCPUUtilizationPercentage?: number;
  currentReplicas?: number;
  desiredReplicas?: number;
  currentCPUUtilizationPercentage?: number;
  conditions: K8sCondition[];
  lastScaleTime?: string;
}

export interface K8sTaint {
  key: string;
  value?: string;
  effect: string;
}

export interface K8sNode {
  metadata: K8sMeta;
  status: { allocatable?: Record<string, string>; capacity?: Record<string, string>; conditions?: K8sCondition[] };
  spec?: { unschedulable?: boolean; taints?: K8sTaint[] };
}

/** A ConfigMap: its data and, from managedFields, when it was last written. */
export interface K8sConfigMap {
  metadata: K8sMeta;
  data: Record<string, string>;
  /** The latest managedFields time (the last write), when the server records one. */
  updatedAt?: string;
}

export interface K8sService {
  metadata: K8sMeta;
  spec: { selector?: Record<string, string>; type?: string; ports?: { port: number; targetPort?: number | string; nodePort?: number; name?: string }[]; externalTrafficPolicy?: string };
}

export interface K8sTargetGroupBinding {
  metadata: K8sMeta;
  spec: { targetGroupARN?: string; targetGroupName?: string; targetType?: string; serviceRef: { name: string; port: number | string } };
}
