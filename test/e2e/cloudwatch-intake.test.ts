import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startBot, type TestBot } from '../support/bot.js';
import { waitFor } from '../support/procs.js';
import { alarmMessage, makeSigner, notification, postSns, type TestSigner } from '../support/sns.js';

describe('CloudWatch alarms through SNS end to end', () => {
  let bot: TestBot;
  let signer: TestSigner;
  const confirmed: string[] = [];
  beforeAll(async () => {
    signer = makeSigner();
    bot = await startBot({
      redisUrl: inject('redisUrl'),
      overrides: {
        fetchCertificate: signer.fetchCertificate,
        confirmFetch: (async (u: string | URL | Request) => {
          confirmed.push(String(u));
          return new Response('<ConfirmSubscriptionResponse><ConfirmSubscriptionResult><SubscriptionArn>arn:aws:sns:us-east-1:123456789012:warroom-alarms:abc</SubscriptionArn></ConfirmSubscriptionResult></ConfirmSubscriptionResponse>');
        }) as typeof fetch,
      },
    });
  });
  afterAll(async () => {
    await bot?.stop();
    signer?.cleanup();
  });

  it('a signed ALARM opens a channel; OK resolves nothing new; ALARM again within the window reopens the same channel', async () => {
    const name = 'k8s-api-prod-core-7db0ccf2c3-target-response-time';
    const t0 = new Date(Date.now() - 10 * 60_000);
    const at = (min: number) => new Date(t0.getTime() + min * 60_000).toISOString();
    expect((await postSns(bot.url, signer.sign(notification(alarmMessage({ name, state: 'ALARM', at: at(0) }))))).status).toBe(202);
    const channel = await waitFor(() => bot.slack.channels().find((c) => c.name.includes('api-prod-core-latency') && bot.slack.pins(c.id).length > 0), { what: 'channel' });
    expect(channel.topic.value).toContain('SEV2');
    // Usergroup members were invited.
    expect(bot.slack.members(channel.id)).toEqual(expect.arrayContaining(['U0ONCALL1', 'U0SRE2', 'U0LEAD']));

    expect((await postSns(bot.url, signer.sign(notification(alarmMessage({ name, state: 'OK', at: at(2) })), '2'))).status).toBe(202);
    const incidentId = (await bot.running.deps.ports.incidents.findByChannel(channel.id))?.id as string;
    await waitFor(async () => (await bot.running.deps.ports.incidents.listAlerts(incidentId))[0]?.status === 'resolved', { what: 'alert resolved' });
    // Resolve the incident by command, then the alarm flaps back: reopened, not a second channel.
    const res = await bot.slack.sendSlashCommand({ command: '/incident', text: 'resolve flapping, watching', userId: 'U0ONCALL1', channelId: channel.id });
    expect(res.status).toBe(200);
    await waitFor(async () => (await bot.running.deps.ports.incidents.get(incidentId))?.status === 'resolved', { what: 'resolved' });
    expect((await postSns(bot.url, signer.sign(notification(alarmMessage({ name, state: 'ALARM', at: at(4) }))))).status).toBe(202);
    await waitFor(async () => (await bot.running.deps.ports.incidents.get(incidentId))?.reopenCount === 1, { what: 'reopened' });
    await waitFor(() => bot.slack.messages(channel.id).some((m) => m.text.includes('reopened')), { what: 'reopen message' });
    expect(bot.slack.callsTo('conversations.create')).toHaveLength(1);
    const kinds = (await bot.running.deps.ports.timeline.list(incidentId)).map((e) => e.kind);
    expect(kinds).toEqual(expect.arrayContaining(['incident.opened', 'alert.firing', 'alert.resolved', 'incident.resolved', 'incident.reopened']));
  });

  it('INSUFFICIENT_DATA is recorded without opening an incident', async () => {
    const before = bot.slack.callsTo('conversations.create').length;
    const r = await postSns(bot.url, signer.sign(notification(alarmMessage({ name: 'some-other-alarm', state: 'INSUFFICIENT_DATA', at: new Date().toISOString(), previous: 'OK' }))));
    expect(r.status).toBe(202);
    await new Promise((res) => setTimeout(res, 1000));
    expect(bot.slack.callsTo('conversations.create').length).toBe(before);
  });

  it('confirms a subscription only after the signature and the topic check, by fetching the SubscribeURL', async () => {
    const sub = {
      Type: 'SubscriptionConfirmation',
      MessageId: 'sub-1',
      Token: 'tok',
      TopicArn: 'arn:aws:sns:us-east-1:123456789012:warroom-alarms',
      Message: 'You have chosen to subscribe...',
      SubscribeURL: 'https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-east-1:123456789012:warroom-alarms&Token=tok',
      Timestamp: new Date().toISOString(),
    };
    const forged = { ...signer.sign(sub), Token: 'other' };
    expect((await postSns(bot.url, forged)).status).toBe(401);
    expect(confirmed).toHaveLength(0);
    const foreign = signer.sign({ ...sub, TopicArn: 'arn:aws:sns:us-east-1:999999999999:evil' });
    expect((await postSns(bot.url, foreign)).status).toBe(403);
    expect(confirmed).toHaveLength(0);
    expect((await postSns(bot.url, signer.sign(sub))).status).toBe(200);
    expect(confirmed).toEqual([sub.SubscribeURL]);
  });

  it('refuses forged, unsigned, foreign-host, http-cert and unlisted-topic messages with 4xx, storing nothing', async () => {
    const before = bot.slack.callsTo('conversations.create').length;
    const msg = () => notification(alarmMessage({ name: 'forged-alarm', state: 'ALARM', at: new Date().toISOString() }));
    const tampered = { ...signer.sign(msg()), Message: JSON.stringify(alarmMessage({ name: 'other', state: 'ALARM', at: new Date().toISOString() })) };
    expect((await postSns(bot.url, tampered)).status).toBe(401);
    const { Signature: _s, ...unsigned } = signer.sign(msg());
    expect((await postSns(bot.url, unsigned)).status).toBe(400);
    const foreignHost = signer.sign({ ...msg(), SigningCertURL: 'https://sns.us-east-1.amazonaws.com.evil.com/SimpleNotificationService-0123456789abcdef0123456789abcdef.pem' });
    const r1 = await postSns(bot.url, foreignHost);
    expect(r1.status).toBe(401);
    expect(r1.text).toMatch(/host/);
    // S3 bucket hosts (a bucket named `sns`) are not SNS, whatever the signature says.
    for (const host of ['sns.s3.amazonaws.com', 'sns.s3-external-1.amazonaws.com', 'sns.s3-us-west-2.amazonaws.com']) {
      const r = await postSns(bot.url, signer.sign({ ...msg(), SigningCertURL: `https://${host}/SimpleNotificationService-0123456789abcdef0123456789abcdef.pem` }));
      expect([host, r.status]).toEqual([host, 401]);
    }
    const httpCert = signer.sign({ ...msg(), SigningCertURL: 'http://sns.us-east-1.amazonaws.com/SimpleNotificationService-0123456789abcdef0123456789abcdef.pem' });
    expect((await postSns(bot.url, httpCert)).status).toBe(401);
    expect((await postSns(bot.url, signer.sign(notification(alarmMessage({ name: 'x', state: 'ALARM', at: new Date().toISOString() }), { topicArn: 'arn:aws:sns:us-east-1:123456789012:not-listed' })))).status).toBe(403);
    expect((await postSns(bot.url, '{not json')).status).toBe(400);
    expect((await postSns(bot.url, signer.sign(notification({ hello: 'not an alarm' })))).status).toBe(400);
    await new Promise((r) => setTimeout(r, 800));
    expect(bot.slack.callsTo('conversations.create').length).toBe(before);
    expect(signer.fetched.every((u) => u.startsWith('https://sns.us-east-1.amazonaws.com/'))).toBe(true);
  });
});
