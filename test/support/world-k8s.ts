/**
 * A small world for mitigation tests: the Kubernetes API emulator (reached through a kubeconfig
 * file, as in production), optionally a real Alertmanager, the Slack emulator and the real bot,
 * plus helpers that drive it the way people do: an Alertmanager webhook opens the incident,
 * `/incident <action>` proposes, signed block_actions clicks approve or deny.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Incident } from '../../src/domain/incident.js';
import type { Proposal, ProposalStatus } from '../../src/domain/proposal.js';
import type { TimelineEvent } from '../../src/domain/timeline.js';
import { startKubernetesEmulator, type KubernetesEmulator, type KubernetesEmulatorOptions } from '../../src/sandbox/kubernetes/server.js';
import type { SlackEmulator } from '../../src/sandbox/slack/index.js';
import type { SlackMessage } from '../../src/sandbox/slack/types.js';
import { startAlertmanager, type AlertmanagerServer } from './alertmanager.js';
import { amAuth, amPayload, postJson, startBot, startSlack, type TestBot } from './bot.js';
import { tmpDir, waitFor } from './procs.js';

export const GENERAL = 'C0GENERAL';
export const ANNOUNCE = 'C0ANNOUNCE';

type Obj = Record<string, unknown>;

// ------------------------------------------------------------------------------------------------
// Cluster objects

const h = (s: string, n: number): string => createHash('sha256').update(s).digest('hex').slice(0, n);

export interface AppSpec {
  namespace: string;
  name: string;
  /** One image per revision, oldest first: the last one is running (revision = images.length). */
  images: string[];
  replicas?: number;
}

function podTemplate(app: string, image: string, hash?: string): Obj {
  return {
    metadata: { labels: { app, ...(hash ? { 'pod-template-hash': hash } : {}) } },
    spec: { containers: [{ name: 'app', image, ports: [{ containerPort: 8080 }], resources: { requests: { cpu: '100m', memory: '128Mi' } } }] },
  };
}

/**
 * A Deployment with its rollout history: one ReplicaSet per revision (owned by the Deployment,
 * kubectl annotations), ready pods of the current one, and a settled status.
 */
export function appObjects(spec: AppSpec): Obj[] {
  const { namespace, name, images } = spec;
  const replicas = spec.replicas ?? 2;
  const revision = images.length;
  const current = images[revision - 1];
  if (!current) throw new Error('appObjects: give at least one image');
  const uid = `${h(`${namespace}/${name}`, 8)}-0000-4000-8000-${h(`uid/${namespace}/${name}`, 12)}`;
  const owner = (kind: string, n: string, u: string): Obj[] => [{ apiVersion: 'apps/v1', kind, name: n, uid: u, controller: true, blockOwnerDeletion: true }];
  const out: Obj[] = [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace, uid, generation: revision, labels: { app: name }, annotations: { 'deployment.kubernetes.io/revision': String(revision), 'kubernetes.io/change-cause': `deploy ${current}` } },
      spec: { replicas, revisionHistoryLimit: 10, progressDeadlineSeconds: 600, selector: { matchLabels: { app: name } }, strategy: { type: 'RollingUpdate' }, template: podTemplate(name, current) },
      status: {
        observedGeneration: revision,
        replicas,
        updatedReplicas: replicas,
        readyReplicas: replicas,
        availableReplicas: replicas,
        conditions: [
          { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' },
          { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: 'ReplicaSet has successfully progressed.' },
        ],
      },
    },
  ];
  images.forEach((image, i) => {
    const rev = i + 1;
    const hash = h(`${namespace}/${name}/${rev}/${image}`, 10);
    const rsName = `${name}-${hash}`;
    const rsUid = `${h(rsName, 8)}-0000-4000-8000-${h(`rs/${namespace}/${rsName}`, 12)}`;
    const live = rev === revision;
    out.push({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: rsName,
        namespace,
        uid: rsUid,
        labels: { app: name, 'pod-template-hash': hash },
        annotations: { 'deployment.kubernetes.io/revision': String(rev), 'kubernetes.io/change-cause': `deploy ${image}` },
        ownerReferences: owner('Deployment', name, uid),
      },
      spec: { replicas: live ? replicas : 0, selector: { matchLabels: { app: name, 'pod-template-hash': hash } }, template: podTemplate(name, image, hash) },
      status: live ? { replicas, readyReplicas: replicas, availableReplicas: replicas } : { replicas: 0 },
    });
    if (live) {
      for (let p = 0; p < replicas; p++) {
        out.push({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: `${rsName}-${h(`${rsName}/${p}`, 5)}`, namespace, labels: { app: name, 'pod-template-hash': hash }, ownerReferences: owner('ReplicaSet', rsName, rsUid) },
          spec: podTemplate(name, image)['spec'],
          status: {
            phase: 'Running',
            conditions: [{ type: 'Ready', status: 'True' }],
            containerStatuses: [{ name: 'app', image, ready: true, started: true, restartCount: 0, state: { running: { startedAt: '2026-03-02T09:00:00Z' } } }],
          },
        });
      }
    }
  });
  return out;
}

/** An HPA written as autoscaling/v2 (cpu utilisation target). */
export function hpaV2(namespace: string, name: string, target: string, min: number, max: number, cpu: number): Obj {
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name, namespace },
    spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: target }, minReplicas: min, maxReplicas: max, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: cpu } } }] },
  };
}

/** An HPA written as autoscaling/v1. */
export function hpaV1(namespace: string, name: string, target: string, min: number, max: number, cpu: number): Obj {
  return {
    apiVersion: 'autoscaling/v1',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name, namespace },
    spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: target }, minReplicas: min, maxReplicas: max, targetCPUUtilizationPercentage: cpu },
    status: { currentReplicas: min, desiredReplicas: min, currentCPUUtilizationPercentage: 20 },
  };
}

/** A value inside a JSON object by path (tests read emulator objects with it). */
export function at(o: unknown, ...p: (string | number)[]): unknown {
  let cur: unknown = o;
  for (const k of p) {
    if (Array.isArray(cur) && typeof k === 'number') cur = cur[k];
    else if (typeof cur === 'object' && cur !== null && !Array.isArray(cur)) cur = (cur as Obj)[String(k)];
    else return undefined;
  }
  return cur;
}

// ------------------------------------------------------------------------------------------------
// The world

export interface World {
  slack: SlackEmulator;
  kube: KubernetesEmulator;
  bot: TestBot;
  am?: AlertmanagerServer;
  kubeconfigPath: string;
  stop(): Promise<void>;
}

export async function startWorld(opts: {
  redisUrl: string;
  config: string;
  kube: Omit<KubernetesEmulatorOptions, 'objects'> & { objects: unknown[] };
  alertmanager?: boolean;
  slack?: SlackEmulator;
  prefix?: string;
  /** Extra bot environment (e.g. SERVICES=web to run no worker). */
  env?: Record<string, string>;
  /** Rollout polling of verification (default every 150 ms). */
  verify?: { pollMs?: number; rolloutDeadlineMs?: number };
}): Promise<World> {
  const ownSlack = !opts.slack;
  const slack = opts.slack ?? (await startSlack({ channels: [{ id: ANNOUNCE, name: 'incidents' }, { id: GENERAL, name: 'general' }] }));
  const kube = await startKubernetesEmulator(opts.kube);
  const { dir, cleanup } = tmpDir('k8s');
  const kubeconfigPath = path.join(dir, 'kubeconfig.yaml');
  kube.writeKubeconfig(kubeconfigPath);
  let am: AlertmanagerServer | undefined;
  try {
    // Alertmanager only serves silences and alert queries here; its webhook target is never used.
    if (opts.alertmanager) am = await startAlertmanager({ webhookUrl: 'http://127.0.0.1:9/unused' });
    const bot = await startBot({
      redisUrl: opts.redisUrl,
      slack,
      config: opts.config,
      ...(opts.prefix ? { prefix: opts.prefix } : {}),
      env: { KUBERNETES: 'kubeconfig', KUBECONFIG: kubeconfigPath, ...(am ? { ALERTMANAGER_URL: am.url } : {}), ...opts.env },
      overrides: { verify: { pollMs: 150, ...opts.verify } },
    });
    return {
      slack,
      kube,
      bot,
      ...(am ? { am } : {}),
      kubeconfigPath,
      stop: async () => {
        await bot.stop();
        await am?.stop();
        await kube.stop();
        if (ownSlack) await slack.stop();
        cleanup();
      },
    };
  } catch (e) {
    await am?.stop();
    await kube.stop();
    if (ownSlack) await slack.stop();
    cleanup();
    throw e;
  }
}

// ------------------------------------------------------------------------------------------------
// Driving it

export type OpenIncident = Incident & { channelId: string };

export interface Reply {
  text: string;
  responseUrl: string;
}

export function driver(w: { slack: SlackEmulator; bot: TestBot }) {
  const { slack } = w;
  const store = () => w.bot.running.deps.ports;

  async function replyTo(responseUrl: string | undefined, what: string): Promise<Reply> {
    if (!responseUrl) throw new Error(`no response_url for ${what}`);
    const r = await waitFor(() => slack.responses().find((p) => p.url === responseUrl), { what: `the reply to ${what}`, timeoutMs: 10_000 });
    if (r.body['response_type'] !== 'ephemeral') throw new Error(`the reply to ${what} is not ephemeral: ${JSON.stringify(r.body)}`);
    return { text: String(r.body['text'] ?? ''), responseUrl };
  }

  return {
    store,

    /** An Alertmanager webhook for `alertname`/`service` (namespace prod) opens an incident; resolves once its channel exists. */
    async openIncident(alertname: string, service: string, extraLabels: Record<string, string> = {}): Promise<OpenIncident> {
      const res = await postJson(`${w.bot.url}/webhooks/alertmanager`, amPayload({ alertname, service, extraLabels }), amAuth);
      if (res.status >= 300) throw new Error(`webhook refused: ${res.status} ${res.text}`);
      return waitFor(
        async () => {
          for (const i of await store().incidents.listAll(500)) {
            if (!i.channelId) continue;
            const alerts = await store().incidents.listAlerts(i.id);
            if (alerts.some((a) => a.labels['alertname'] === alertname && a.labels['service'] === service)) return i as OpenIncident;
          }
          return undefined;
        },
        { what: `the incident channel for ${alertname}/${service}`, timeoutMs: 15_000 },
      );
    },

    /** `/incident declare` from #general: a manual incident (a route without an environment). */
    async declare(title: string, userId = 'U0ONCALL1'): Promise<OpenIncident> {
      await this.command(`declare sev3 ${title}`, userId, GENERAL);
      return waitFor(async () => (await store().incidents.listAll(500)).find((i) => i.title === title && i.channelId) as OpenIncident | undefined, { what: `the channel of “${title}”`, timeoutMs: 15_000 });
    },

    /** A slash command; resolves with the ephemeral reply. */
    async command(text: string, userId: string, channelId: string): Promise<Reply> {
      const r = await slack.sendSlashCommand({ command: '/incident', text, userId, channelId });
      if (r.status !== 200) throw new Error(`slash command answered ${r.status}`);
      return replyTo(r.responseUrl, `“/incident ${text}”`);
    },

    /** Proposes through a slash command; resolves with the new proposal and its card in the channel. */
    async propose(incident: OpenIncident, text: string, userId: string): Promise<{ reply: Reply; proposal: Proposal; card: SlackMessage }> {
      const before = new Set((await store().proposals.list(incident.id)).map((p) => p.id));
      const reply = await this.command(text, userId, incident.channelId);
      const proposal = await waitFor(async () => (await store().proposals.list(incident.id)).find((p) => !before.has(p.id) && p.messageTs), { what: `the proposal of “${text}” (reply: ${reply.text})` });
      return { reply, proposal, card: this.card(incident.channelId, proposal.id) };
    },

    /** The proposal card (the bot's message carrying the proposal id). */
    card(channelId: string, proposalId: string): SlackMessage {
      const m = slack.messages(channelId).find((x) => x.text.startsWith(`Proposal ${proposalId}:`));
      if (!m) throw new Error(`no card for ${proposalId} in ${channelId}`);
      return m;
    },

    /** Action ids of the card's buttons, with their values. */
    buttons(channelId: string, proposalId: string): { actionId: string; value: string }[] {
      const out: { actionId: string; value: string }[] = [];
      for (const b of this.card(channelId, proposalId).blocks ?? []) {
        const els = at(b, 'elements');
        if (at(b, 'type') !== 'actions' || !Array.isArray(els)) continue;
        for (const e of els) out.push({ actionId: String(at(e, 'action_id')), value: String(at(e, 'value')) });
      }
      return out;
    },

    /** Clicks a button of the proposal card (signed block_actions); resolves with the ephemeral reply. */
    async click(actionId: string, proposal: Proposal, userId: string, channelId: string, opts: { botUrl?: string } = {}): Promise<Reply> {
      const messageTs = proposal.messageTs;
      if (!messageTs) throw new Error('the proposal has no card');
      const r = await slack.clickButton({ actionId, value: proposal.id, userId, channelId, messageTs }, opts.botUrl ? { path: `${opts.botUrl}/slack/events` } : {});
      if (r.status !== 200) throw new Error(`click answered ${r.status}`);
      return replyTo(r.responseUrl, `${actionId} by ${userId}`);
    },

    async proposal(id: string): Promise<Proposal> {
      const p = await store().proposals.get(id);
      if (!p) throw new Error(`no proposal ${id}`);
      return p;
    },

    async waitForStatus(id: string, statuses: ProposalStatus[], timeoutMs = 20_000): Promise<Proposal> {
      return waitFor(async () => {
        const p = await store().proposals.get(id);
        return p && statuses.includes(p.status) ? p : undefined;
      }, { what: `proposal ${id} to reach ${statuses.join('/')}`, timeoutMs, intervalMs: 100 });
    },

    /** Timeline events of one proposal, in order. */
    async events(incidentId: string, proposalId: string): Promise<TimelineEvent[]> {
      return (await store().timeline.list(incidentId)).filter((e) => at(e.data, 'proposalId') === proposalId);
    },

    /** Resolves once the card (updated by chat.update after the store) shows `needle`. */
    async cardShows(channelId: string, proposalId: string, needle: string): Promise<string> {
      return waitFor(() => {
        const t = this.cardText(channelId, proposalId);
        return t.includes(needle) ? t : undefined;
        // Card updates are paced to chat.update's tier (about 50 a minute for the workspace), shared with
        // every other card of the run: under a busy file a card may catch up some seconds later.
      }, { what: `the card of ${proposalId} to show “${needle}”`, timeoutMs: 30_000 });
    },

    /** The card's visible text (header, sections, fields, context), for assertions on what people read. */
    cardText(channelId: string, proposalId: string): string {
      return JSON.stringify(this.card(channelId, proposalId).blocks ?? []);
    },
  };
}

export type Driver = ReturnType<typeof driver>;

/** Non-dry-run writes to one object in the emulator that the API server accepted. */
export function writesTo(kube: KubernetesEmulator, namespace: string, resource: string, name: string, subresource?: string): number {
  return kube.requests.filter((r) => r.verb === 'patch' && !r.dryRun && r.status === 200 && r.namespace === namespace && r.resource === resource && r.name === name && r.subresource === subresource).length;
}

/** Non-dry-run write attempts to one object, accepted or not. */
export function writeAttempts(kube: KubernetesEmulator, namespace: string, resource: string, name: string): number {
  return kube.requests.filter((r) => r.verb === 'patch' && !r.dryRun && r.namespace === namespace && r.resource === resource && r.name === name).length;
}
