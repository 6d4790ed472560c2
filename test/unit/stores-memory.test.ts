/** The in-memory twins of the Redis stores pass the same contract (test/integration/store.test.ts runs it on Redis). */
import { createMemoryStores } from '../../src/integrations/memory/stores.js';
import { storeContract } from '../support/store-contract.js';

storeContract('in-memory stores', async () => {
  let now = Date.parse('2026-11-21T09:00:00.000Z');
  const stores = createMemoryStores({ now: () => now });
  return {
    stores: () => stores,
    elapse: async (ms) => {
      now += ms;
    },
    close: async () => undefined,
  };
});
