/**
 * zod schemas from plain Kubernetes JSON (client models serialized back, Dates as ISO strings) to
 * the port's shapes. Pod templates and specs are kept loose: a rollback copies them whole.
 */
import { z } from 'zod';
import type {
  K8sCondition,
  K8sConfigMap,
  K8sContainer,
  K8sDeployment,
  K8sEvent,
  K8sMeta,
  K8sNode,
  K8sPod,
  K8sPodTemplate,
  K8sReplicaSet,
  K8sService,
  K8sTargetGroupBinding,
} from '../../workflows/kubernetes-types.js';

const StrMap = z.record(z.string(), z.string());

export const MetaSchema: z.ZodType<K8sMeta> = z.object({
  name: z.string(),
  namespace: z.string().optional(),
  uid: z.string().optional(),
  resourceVersion: z.string().optional(),
  generation: z.number().optional(),
  creationTimestamp: z.string().optional(),
  labels: StrMap.optional(),
  annotations: StrMap.optional(),
  ownerReferences: z.array(z.object({ kind: z.string(), name: z.string(), uid: z.string(), controller: z.boolean().optional() })).optional(),
});

export const ConditionSchema: z.ZodType<K8sCondition> = z.object({
  type: z.string(),
  status: z.string(),
  reason: z.string().optional(),
  message: z.string().optional(),
  lastTransitionTime: z.string().optional(),
});

const ContainerSchema: z.ZodType<K8sContainer> = z.looseObject({
  name: z.string(),
  image: z.string().default(''),
  resources: z.looseObject({ requests: StrMap.optional(), limits: StrMap.optional() }).optional(),
  livenessProbe: z.unknown().optional(),
  readinessProbe: z.unknown().optional(),
  startupProbe: z.unknown().optional(),
  ports: z.array(z.looseObject({ containerPort: z.number(), name: z.string().optional() })).optional(),
});

export const PodTemplateSchema: z.ZodType<K8sPodTemplate> = z.looseObject({
  metadata: z.looseObject({ labels: StrMap.optional(), annotations: StrMap.optional() }).optional(),
  spec: z.looseObject({ containers: z.array(ContainerSchema) }),
});

export const DeploymentSchema: z.ZodType<K8sDeployment> = z.object({
  metadata: MetaSchema,
  spec: z.looseObject({
    replicas: z.number().optional(),
    paused: z.boolean().optional(),
    selector: z.looseObject({ matchLabels: StrMap.optional() }),
    template: PodTemplateSchema,
    progressDeadlineSeconds: z.number().optional(),
  }),
  status: z
    .object({
      observedGeneration: z.number().optional(),
      replicas: z.number().optional(),
      updatedReplicas: z.number().optional(),
      readyReplicas: z.number().optional(),
      availableReplicas: z.number().optional(),
      unavailableReplicas: z.number().optional(),
      conditions: z.array(ConditionSchema).optional(),
    })
    .optional(),
});

export const ReplicaSetSchema: z.ZodType<K8sReplicaSet> = z.object({
  metadata: MetaSchema,
  spec: z.looseObject({ replicas: z.number().optional(), template: PodTemplateSchema }),
  status: z.object({ replicas: z.number().optional(), readyReplicas: z.number().optional() }).optional(),
});

const ContainerStateSchema = z.object({
  waiting: z.object({ reason: z.string().optional(), message: z.string().optional() }).optional(),
  running: z.object({ startedAt: z.string().optional() }).optional(),
  terminated: z
    .object({ reason: z.string().optional(), exitCode: z.number(), signal: z.number().optional(), startedAt: z.string().optional(), finishedAt: z.string().optional() })
    .optional(),
});

export const PodSchema: z.ZodType<K8sPod> = z.object({
  metadata: MetaSchema,
  spec: z.looseObject({ nodeName: z.string().optional(), containers: z.array(ContainerSchema) }),
  status: z
    .object({
      phase: z.string().optional(),
      reason: z.string().optional(),
      message: z.string().optional(),
      conditions: z.array(ConditionSchema).optional(),
      containerStatuses: z
        .array(
          z.object({
            name: z.string(),
            ready: z.boolean(),
            restartCount: z.number(),
            image: z.string().optional(),
            state: ContainerStateSchema.optional(),
            lastState: ContainerStateSchema.optional(),
          }),
        )
        .optional(),
      startTime: z.string().optional(),
    })
    .default({}),
});

export const EventSchema: z.ZodType<K8sEvent> = z.object({
  metadata: MetaSchema,
  involvedObject: z.object({ kind: z.string().default(''), name: z.string().default(''), namespace: z.string().optional() }),
  reason: z.string().optional(),
  message: z.string().optional(),
  type: z.string().optional(),
  count: z.number().optional(),
  firstTimestamp: z.string().optional(),
  lastTimestamp: z.string().optional(),
  eventTime: z.string().optional(),
});

export const NodeSchema: z.ZodType<K8sNode> = z.object({
  metadata: MetaSchema,
  status: z.object({ allocatable: StrMap.optional(), capacity: StrMap.optional(), conditions: z.array(ConditionSchema).optional() }).default({}),
  spec: z.object({ unschedulable: z.boolean().optional(), taints: z.array(z.object({ key: z.string(), value: z.string().optional(), effect: z.string() })).optional() }).optional(),
});

/** A ConfigMap; `updatedAt` is the latest managedFields time (the last write). */
export const ConfigMapSchema: z.ZodType<K8sConfigMap> = z
  .object({
    metadata: MetaSchema.and(z.object({ managedFields: z.array(z.looseObject({ time: z.string().optional() })).optional() })),
    data: StrMap.default({}),
  })
  .transform((cm) => {
    const times = (cm.metadata.managedFields ?? []).map((f) => f.time).filter((t): t is string => t !== undefined && Number.isFinite(Date.parse(t)));
    const updatedAt = times.sort((a, b) => Date.parse(b) - Date.parse(a))[0];
    const { managedFields: _managed, ...metadata } = cm.metadata;
    return { metadata, data: cm.data, ...(updatedAt ? { updatedAt } : {}) };
  });

export const ServiceSchema: z.ZodType<K8sService> = z.object({
  metadata: MetaSchema,
  spec: z
    .object({
      selector: StrMap.optional(),
      type: z.string().optional(),
      ports: z
        .array(z.object({ port: z.number(), targetPort: z.union([z.number(), z.string()]).optional(), nodePort: z.number().optional(), name: z.string().optional() }))
        .optional(),
      externalTrafficPolicy: z.string().optional(),
    })
    .default({}),
});

export const TargetGroupBindingSchema: z.ZodType<K8sTargetGroupBinding> = z.object({
  metadata: MetaSchema,
  spec: z.object({
    targetGroupARN: z.string().optional(),
    targetGroupName: z.string().optional(),
    targetType: z.string().optional(),
    serviceRef: z.object({ name: z.string(), port: z.union([z.number(), z.string()]) }),
  }),
});

export const CustomObjectList = z.object({ items: z.array(z.unknown()).default([]) });

/** The `Status` body of an API error. */
export const StatusSchema = z.looseObject({
  kind: z.literal('Status').optional(),
  message: z.string().optional(),
  reason: z.string().optional(),
  code: z.number().optional(),
  details: z
    .looseObject({
      name: z.string().optional(),
      group: z.string().optional(),
      kind: z.string().optional(),
      causes: z.array(z.looseObject({ reason: z.string().optional(), message: z.string().optional(), field: z.string().optional() })).optional(),
    })
    .optional(),
});
export type K8sStatus = z.infer<typeof StatusSchema>;

// HPAs: the raw shapes the adapter reads before normalising.
const ScaleTargetRef = z.object({ kind: z.string(), name: z.string(), apiVersion: z.string().optional() });

export const HpaV2Schema = z.object({
  metadata: MetaSchema,
  spec: z.object({
    scaleTargetRef: ScaleTargetRef,
    minReplicas: z.number().optional(),
    maxReplicas: z.number(),
    metrics: z.array(z.looseObject({ type: z.string(), resource: z.looseObject({ name: z.string(), target: z.looseObject({ type: z.string(), averageUtilization: z.number().optional() }) }).optional() })).optional(),
  }),
  status: z
    .object({
      currentReplicas: z.number().optional(),
      desiredReplicas: z.number().optional(),
      lastScaleTime: z.string().optional(),
      currentMetrics: z
        .array(z.looseObject({ type: z.string(), resource: z.looseObject({ name: z.string(), current: z.looseObject({ averageUtilization: z.number().optional() }) }).optional() }))
        .optional(),
      conditions: z.array(ConditionSchema).optional(),
    })
    .default({}),
});
export type HpaV2 = z.infer<typeof HpaV2Schema>;

export const HpaV1Schema = z.object({
  metadata: MetaSchema,
  spec: z.object({
    scaleTargetRef: ScaleTargetRef,
    minReplicas: z.number().optional(),
    maxReplicas: z.number(),
    targetCPUUtilizationPercentage: z.number().optional(),
  }),
  status: z
    .object({
      currentReplicas: z.number().optional(),
      desiredReplicas: z.number().optional(),
      lastScaleTime: z.string().optional(),
      currentCPUUtilizationPercentage: z.number().optional(),
    })
    .default({}),
});
export type HpaV1 = z.infer<typeof HpaV1Schema>;

export const ScaleSchema = z.object({
  metadata: MetaSchema,
  spec: z.object({ replicas: z.number().optional() }).default({}),
  status: z.object({ replicas: z.number().optional(), selector: z.string().optional() }).default({}),
});
