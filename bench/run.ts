/**
 * `npm run bench`: every benchmark in one process, one after the other (so they never compete),
 * each printing its figures and its ratio against its bar; then docs/benchmarks.md is written with
 * the machine and the figures. Select a subset with BENCH_ONLY=ingest,card,storm,diagnostics,memory,recovery,restart
 * (or `npm run bench -- diagnostics recovery`): a subset replaces only its own sections of the file,
 * each stamped with the machine and date of its run.
 * Everything runs on loopback against a private redis-server (AOF, fsync always).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startRedis } from '../test/support/redis.js';
import { benchCard } from './card.js';
import { fmt, printResult, rssMb, type BenchResult } from './common.js';
import { benchDiagnostics } from './diagnostics.js';
import { benchIngest } from './ingest.js';
import { benchMemory } from './memory.js';
import { benchRecovery } from './recovery.js';
import { benchRestart } from './restart.js';
import { benchStorm } from './storm.js';

const ALL = 'ingest,card,storm,memory,diagnostics,recovery,restart';
const args = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const only = new Set((args.length ? args.join(',') : (process.env['BENCH_ONLY'] ?? ALL)).split(',').map((s) => s.trim()));
const subset = [...ALL.split(',')].some((n) => !only.has(n));
const docPath = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'benchmarks.md');

function machine(): string[] {
  const cpus = os.cpus();
  return [
    `- CPU: ${cpus[0]?.model ?? 'unknown'} × ${cpus.length} cores`,
    `- Memory: ${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    `- OS: ${os.type()} ${os.release()} (${os.arch()})`,
    `- Node: ${process.version}`,
    `- Date: ${new Date().toISOString()}`,
  ];
}

function section(r: BenchResult): string[] {
  const lines = [`## ${r.title}`, '', '| Figure | Value | Bar | Ratio to bar | Verdict |', '|---|---|---|---|---|'];
  for (const f of r.figures) {
    const verdict = f.pass === undefined ? '' : f.pass ? 'meets' : '**misses**';
    lines.push(`| ${f.name} | ${fmt(f.value)} ${f.unit} | ${f.bar ?? ''} | ${f.ratio === undefined ? '' : fmt(f.ratio)} | ${verdict} |`);
  }
  lines.push('');
  const misses = r.figures.filter((f) => f.pass === false || f.note);
  for (const f of misses) lines.push(`- **${f.name}**${f.pass === false ? ' misses its bar' : ''}: ${f.note ?? 'see the details below.'}`);
  if (misses.length) lines.push('');
  for (const d of r.details) lines.push(`- ${d}`);
  lines.push('');
  return lines;
}

function errorResult(name: string, e: unknown): BenchResult {
  return { name, title: `${name} (failed)`, figures: [{ name, value: undefined, unit: '', pass: false, note: `the benchmark failed: ${(e as Error).stack ?? String(e)}` }], details: [] };
}

async function main(): Promise<void> {
  const startedAt = Date.now();
  const rssStart = rssMb();
  const redis = await startRedis({ aof: true });
  const results: BenchResult[] = [];
  const run = async (name: string, fn: () => Promise<BenchResult>) => {
    if (!only.has(name)) return;
    const t = Date.now();
    let r: BenchResult;
    try {
      r = await fn();
    } catch (e) {
      r = errorResult(name, e);
    }
    r.details.push(`(${name} took ${((Date.now() - t) / 1000).toFixed(1)} s)`);
    printResult(r);
    results.push(r);
  };
  try {
    await run('ingest', () => benchIngest(redis));
    await run('card', () => benchCard(redis));
    if (only.has('storm') || only.has('memory')) {
      const t = Date.now();
      let storm: Awaited<ReturnType<typeof benchStorm>> | undefined;
      try {
        storm = await benchStorm(redis);
        storm.result.details.push(`(storm took ${((Date.now() - t) / 1000).toFixed(1)} s)`);
        printResult(storm.result);
        results.push(storm.result);
      } catch (e) {
        const r = errorResult('storm', e);
        printResult(r);
        results.push(r);
      }
      if (storm) {
        const s = storm;
        try {
          if (only.has('memory')) await run('memory', () => benchMemory(s.bot, s.slack, { startMb: rssStart, afterStormMb: s.rssAfterStormMb }));
        } finally {
          await s.bot.running.shutdown('bench');
          await s.slack.stop();
        }
      }
    }
    await run('diagnostics', () => benchDiagnostics(redis.url));
    await run('recovery', () => benchRecovery(redis.url));
    await run('restart', () => benchRestart());
  } finally {
    await redis.stop();
  }

  const total = (Date.now() - startedAt) / 1000;
  if (subset && existsSync(docPath)) {
    // A subset: its sections replace their namesakes (or go before "Reproducing"); the rest stays.
    let doc = readFileSync(docPath, 'utf8');
    const stamp = `- Run alone (\`npm run bench -- ${[...only].join(' ')}\`) on ${new Date().toISOString()}: ${os.cpus()[0]?.model ?? 'unknown CPU'} × ${os.cpus().length} cores, Node ${process.version}.`;
    for (const r of results) {
      const lines = section(r);
      lines.splice(lines.length - 1, 0, stamp);
      const text = lines.join('\n');
      const key = `## ${r.title.split(' (')[0]}`;
      const start = doc.split('\n').findIndex((l) => l.startsWith(key));
      if (start >= 0) {
        const all = doc.split('\n');
        let end = all.findIndex((l, i) => i > start && l.startsWith('## '));
        if (end < 0) end = all.length;
        doc = [...all.slice(0, start), text, ...all.slice(end)].join('\n');
      } else {
        doc = doc.replace('## Reproducing', `${text}\n## Reproducing`);
      }
    }
    writeFileSync(docPath, doc);
    console.log(`\nupdated ${results.length} section(s) of ${docPath} (${total.toFixed(0)} s)`);
    return;
  }
  const barred = results.flatMap((r) => r.figures.filter((f) => f.pass !== undefined));
  const met = barred.filter((f) => f.pass).length;
  const doc = [
    '# Benchmarks',
    '',
    'Generated by `npm run bench` (`bench/run.ts`); the bars are those of DESIGN.md §6. Everything runs on',
    'loopback in one process (load generator, bot, emulators), against a private `redis-server` with',
    '`appendonly yes` and `appendfsync always`. The figures are from one real run on the machine below; they',
    'are not asserted anywhere in the test suite.',
    '',
    '## Machine',
    '',
    ...machine(),
    '',
    `Total bench time: ${total.toFixed(0)} s. Bars met: ${met} of ${barred.length}.`,
    '',
    ...results.flatMap(section),
    '## Reproducing',
    '',
    '```sh',
    'npm run bench                                   # all of them, ~3-5 minutes',
    'npm run bench -- diagnostics recovery           # a subset: replaces only its sections here',
    'BENCH_STORM_ALERTS=2000 BENCH_STORM_KEYS=20 npm run bench   # a smaller storm',
    '```',
    '',
  ].join('\n');
  writeFileSync(docPath, doc);
  console.log(`\nwrote ${docPath} (${met}/${barred.length} bars met, ${total.toFixed(0)} s)`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
