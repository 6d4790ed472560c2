import { describe, expect, it } from 'vitest';
import { AppError, GENERIC_USER_REPLY, isRetryable, toUserReply, type ErrorCode } from '../../src/errors.js';
import { slackPlatformError } from '../../src/integrations/slack/client.js';

describe('one error classification, on the error itself', () => {
  it.each<[ErrorCode, boolean, boolean]>([
    ['bad_request', false, true],
    ['not_found', false, true],
    ['forbidden', false, true],
    ['stale', false, true],
    ['conflict', true, true],
    ['unavailable', true, false],
    ['throttled', true, false],
    ['timeout', true, false],
    ['unauthorized', false, false],
    ['payload_too_large', false, false],
    ['config', false, false],
    ['internal', false, false],
  ])('%s: retryable %s, user-facing %s by default', (code, retryable, userFacing) => {
    const e = new AppError(code, 'm');
    expect([e.retryable, e.userFacing, isRetryable(e)]).toEqual([retryable, userFacing, retryable]);
  });

  it('an adapter overrides the defaults and names the upstream error', () => {
    const e = new AppError('internal', 'x', { retryable: true, userFacing: true, upstream: 'svc:oops' });
    expect([e.retryable, e.userFacing, e.upstream]).toEqual([true, true, 'svc:oops']);
  });

  it('unclassified errors are retried and never shown to people', () => {
    expect(isRetryable(new TypeError('undefined is not a function'))).toBe(true);
    expect(isRetryable('a string')).toBe(true);
    expect(toUserReply(new Error('ECONNRESET 10.0.0.3:6379'))).toBe(GENERIC_USER_REPLY);
  });

  it('toUserReply shows what a person can fix, and nothing else', () => {
    expect(toUserReply(new AppError('bad_request', 'replicas must be a whole number'))).toBe('replicas must be a whole number');
    expect(toUserReply(new AppError('conflict', 'someone else changed it'))).toBe('someone else changed it');
    expect(toUserReply(new AppError('unavailable', 'redis: connect ECONNREFUSED'))).toBe(GENERIC_USER_REPLY);
    expect(toUserReply(new AppError('internal', 'stored incident is invalid'))).toBe(GENERIC_USER_REPLY);
  });
});

describe('Slack platform errors, classified by the adapter', () => {
  it.each([
    ['internal_error', 'unavailable', true],
    ['fatal_error', 'unavailable', true],
    ['service_unavailable', 'unavailable', true],
    ['request_timeout', 'unavailable', true],
    ['ratelimited', 'throttled', true],
    ['channel_not_found', 'internal', false],
    ['is_archived', 'internal', false],
    ['invalid_auth', 'config', false],
    ['missing_scope', 'config', false],
    ['some_future_error', 'internal', false],
  ])('%s -> %s (retryable %s)', (error, code, retryable) => {
    const e = slackPlatformError('chat.postMessage', error);
    expect([e.code, e.retryable, e.upstream, e.userFacing]).toEqual([code, retryable, `slack:${error}`, false]);
    expect(e.message).toBe(`slack chat.postMessage: ${error}`);
  });
});
