import type { Redis } from 'ioredis';
import { Proposal } from '../../domain/proposal.js';
import type { ProposalStore } from '../../workflows/ports.js';
import { casLoop, guard, parseJson, type Keys } from './common.js';

export function createRedisProposals(redis: Redis, k: Keys): ProposalStore {
  const load = async (id: string) => {
    const t = await redis.get(k.prop(id));
    return t === null ? undefined : parseJson(Proposal, t, 'proposal');
  };
  return {
    save: (proposal) =>
      guard(async () => {
        const tx = redis.multi();
        tx.set(k.prop(proposal.id), JSON.stringify(Proposal.parse(proposal)));
        tx.zadd(k.props(proposal.incidentId), String(Date.parse(proposal.requestedAt)), proposal.id);
        await tx.exec();
      }),

    get: (id) => guard(() => load(id)),

    update: (id, change) => guard(() => casLoop(redis, k.prop(id), Proposal, 'proposal', change)),

    list: (incidentId) =>
      guard(async () => {
        const ids = await redis.zrange(k.props(incidentId), '0', '-1');
        const all = await Promise.all(ids.map(load));
        return all.filter((x): x is Proposal => x !== undefined);
      }),
  };
}
