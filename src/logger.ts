import { pino, type Logger as PinoLogger } from 'pino';

/** Paths redacted from every log line: secrets never reach logs. */
export const REDACT_PATHS = [
  'token', '*.token', 'authorization', '*.authorization', 'headers.authorization', 'req.headers.authorization',
  'headers["x-slack-signature"]', 'signingSecret', '*.signingSecret', 'password', '*.password', 'secret', '*.secret',
  'env.SLACK_BOT_TOKEN', 'env.SLACK_SIGNING_SECRET', 'env.SLACK_APP_TOKEN', 'env.ALERTMANAGER_WEBHOOK_TOKEN', 'env.WARROOM_API_TOKEN', 'env.CLOUDWATCH_WEBHOOK_TOKEN', 'CLOUDWATCH_WEBHOOK_TOKEN',
  'SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'SLACK_APP_TOKEN', 'ALERTMANAGER_WEBHOOK_TOKEN', 'WARROOM_API_TOKEN',
];

const TOKEN_PATTERN = /\b(xox[abposr]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+)\b/g;

/** Scrubs Slack tokens from free text (error messages may echo a request). */
export function scrub(text: string): string {
  return text.replace(TOKEN_PATTERN, '[Redacted]');
}

export function createLogger(opts: { level: string; name?: string; destination?: NodeJS.WritableStream }): PinoLogger {
  return pino(
    {
      name: opts.name ?? 'warroom',
      level: opts.level,
      redact: { paths: REDACT_PATHS, censor: '[Redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      hooks: {
        logMethod(args, method) {
          const scrubbed = args.map((a) => (typeof a === 'string' ? scrub(a) : a)) as typeof args;
          method.apply(this, scrubbed);
        },
      },
      serializers: { err: (e: unknown) => (e instanceof Error ? { type: e.name, message: scrub(e.message), stack: e.stack ? scrub(e.stack) : undefined, code: (e as { code?: unknown }).code } : e) },
    },
    opts.destination ?? process.stdout,
  );
}
