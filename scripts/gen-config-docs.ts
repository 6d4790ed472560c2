/**
 * Writes docs/configuration.md from the zod schemas in src/config.ts: every env var and config key,
 * its default and meaning. Run: npm run docs:config (a unit test checks the file is current).
 */
import { writeFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigSchema, EnvSchema } from '../src/config.js';

type JsonSchema = { type?: string | string[]; description?: string; default?: unknown; properties?: Record<string, JsonSchema>; items?: JsonSchema; anyOf?: JsonSchema[]; enum?: unknown[]; additionalProperties?: JsonSchema | boolean; propertyNames?: JsonSchema };

function typeOf(s: JsonSchema): string {
  if (s.enum) return s.enum.map((v) => `\`${String(v)}\``).join(' \\| ');
  if (s.anyOf) return s.anyOf.map(typeOf).join(' or ');
  if (s.type === 'array') return `list of ${s.items ? typeOf(s.items) : 'values'}`;
  if (s.type === 'object' && s.additionalProperties && typeof s.additionalProperties === 'object') return `map of ${typeOf(s.additionalProperties)}`;
  return Array.isArray(s.type) ? s.type.join(' or ') : (s.type ?? 'value');
}

function fmtDefault(v: unknown): string {
  if (v === undefined) return '';
  return `\`${JSON.stringify(v)}\``;
}

function rows(schema: JsonSchema, prefix: string, out: string[]): void {
  for (const [key, s] of Object.entries(schema.properties ?? {})) {
    const path = prefix ? `${prefix}.${key}` : key;
    out.push(`| \`${path}\` | ${typeOf(s)} | ${fmtDefault(s.default)} | ${(s.description ?? '').replace(/\|/g, '\\|')} |`);
    if (s.type === 'object' && s.properties) rows(s, path, out);
    if (s.type === 'array' && s.items?.properties) rows(s.items, `${path}[]`, out);
  }
}

export function renderConfigDocs(): string {
  const env = z.toJSONSchema(EnvSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const cfg = z.toJSONSchema(ConfigSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const envRows: string[] = [];
  rows(env, '', envRows);
  const cfgRows: string[] = [];
  rows(cfg, '', cfgRows);
  return [
    '# Configuration reference',
    '',
    '_Generated from the zod schemas in `src/config.ts` by `npm run docs:config`; do not edit by hand._',
    '',
    'warroom reads its environment and one YAML file (`WARROOM_CONFIG`), each validated once at start: an invalid value stops the process with every problem listed. Durations accept `30s`, `15m`, `2h`, `1d` or milliseconds.',
    '',
    '## Environment',
    '',
    '| variable | type | default | meaning |',
    '| --- | --- | --- | --- |',
    ...envRows,
    '',
    'The AWS SDK reads its standard configuration too (`AWS_REGION`, `AWS_PROFILE`, IRSA web identity, `AWS_ENDPOINT_URL_CLOUDWATCH`).',
    '',
    '## YAML config',
    '',
    'See `config/warroom.example.yaml` for a complete, commented example (it starts the bot as is).',
    '',
    '| key | type | default | meaning |',
    '| --- | --- | --- | --- |',
    ...cfgRows,
    '',
  ].join('\n');
}

if (process.argv[1]?.endsWith('gen-config-docs.ts')) {
  writeFileSync('docs/configuration.md', renderConfigDocs());
  console.log('wrote docs/configuration.md');
}
