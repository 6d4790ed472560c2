/**
 * The emulator's pure validators against Slack's documented rules (protocols 5.1, 5.5), including
 * a property: the channel-name normalisation recommended in protocols 5.1 always yields a name
 * conversations.create accepts (or an empty one, which it refuses as required).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { blocksProblems, channelNameError, viewProblems } from '../../src/sandbox/slack/index.js';
import { RateLimiter } from '../../src/sandbox/slack/rate-limit.js';

const normalise = (name: string): string =>
  name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 80);

describe('channel names', () => {
  it('accepts exactly lowercase letters, digits, - and _ up to 80 characters', () => {
    expect(channelNameError('inc-20240101-1432-checkout-5xx')).toBeUndefined();
    expect(channelNameError('a_b')).toBeUndefined();
    expect(channelNameError('a'.repeat(80))).toBeUndefined();
    expect(channelNameError('a'.repeat(81))).toBe('invalid_name_maxlength');
    expect(channelNameError('Inc')).toBe('invalid_name_specials');
    expect(channelNameError('inc.1')).toBe('invalid_name_specials');
    expect(channelNameError('über')).toBe('invalid_name_specials');
    expect(channelNameError('  ')).toBe('invalid_name_required');
    expect(channelNameError('-_-')).toBe('invalid_name_punctuation');
  });

  it('the recommended normalisation never gives a name with bad characters or length', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200, unit: 'grapheme' }), (raw) => {
        const name = normalise(raw);
        const err = channelNameError(name);
        // Never a character or length problem; only names without any letter or digit are refused.
        if (name === '') expect(err).toBe('invalid_name_required');
        else if (!/[a-z0-9]/.test(name)) expect(err).toBe('invalid_name_punctuation');
        else expect(err).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });
});

describe('blocks', () => {
  it('reports each problem with a json-pointer, and duplicate block_ids', () => {
    const problems = blocksProblems([
      { type: 'section', block_id: 'a', text: { type: 'mrkdwn', text: '' } },
      { type: 'actions', block_id: 'a', elements: [{ type: 'button', action_id: 'x', text: { type: 'mrkdwn', text: 'ok' }, style: 'loud' }] },
    ]);
    expect(problems).toEqual([
      'must be at least 1 characters [json-pointer:/blocks/0/text/text]',
      'must be plain_text [json-pointer:/blocks/1/elements/0/text/type]',
      'must be one of primary, danger [json-pointer:/blocks/1/elements/0/style]',
      'duplicate block_id: a [json-pointer:/blocks/1/block_id]',
    ]);
    expect(blocksProblems('not an array')).toHaveLength(1);
  });

  it('allows 100 blocks in a view and refuses a modal title over 24 characters', () => {
    const blocks = Array.from({ length: 100 }, () => ({ type: 'divider' }));
    expect(viewProblems({ type: 'modal', title: { type: 'plain_text', text: 'Declare an incident' }, blocks })).toEqual([]);
    expect(viewProblems({ type: 'modal', title: { type: 'plain_text', text: 'x'.repeat(25) }, blocks: [...blocks, { type: 'divider' }] })).toHaveLength(2);
  });
});

describe('rate limiter', () => {
  it('lets a burst through, then answers Retry-After until the bucket refills', () => {
    const rl = new RateLimiter({ postMessagePerChannel: { perSecond: 1, burst: 2 }, tiers: true });
    const t0 = 1_000_000;
    expect(rl.check('chat.postMessage', t0, 'C1')).toBe(0);
    expect(rl.check('chat.postMessage', t0, 'C1')).toBe(0);
    expect(rl.check('chat.postMessage', t0, 'C1')).toBe(1);
    expect(rl.check('chat.postMessage', t0, 'C2')).toBe(0);
    expect(rl.check('chat.postMessage', t0 + 1000, 'C1')).toBe(0);
    // Tier 2 (conversations.create): 20 per minute, then about 3 s per call.
    for (let i = 0; i < 20; i += 1) expect(rl.check('conversations.create', t0)).toBe(0);
    expect(rl.check('conversations.create', t0)).toBe(3);
    expect(rl.check('auth.test', t0)).toBe(0);
  });
});
