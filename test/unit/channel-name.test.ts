import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Severity } from '../../src/domain/alert.js';
import { channelName, slugify, validateChannelTemplate, withSuffix, type ChannelNameInput } from '../../src/domain/channel-name.js';
import { AppError } from '../../src/errors.js';

const DATE = new Date('2024-01-01T23:30:00Z');
const base: ChannelNameInput = { template: 'inc-{date}-{id}-{slug}', incidentId: 'INC-42', date: DATE, title: 'Checkout 5xx rate above 5%', severity: 'SEV1' };
const NAME_RE = /^[a-z0-9_-]{1,80}$/;

describe('slugify', () => {
  it('lowercases, folds diacritics and other scripts, and collapses runs', () => {
    expect(slugify('Checkout 5xx rate > 5%!')).toBe('checkout-5xx-rate-5');
    expect(slugify('Ünïcödé café – Straße, Øresund, Łódź')).toBe('unicode-cafe-strasse-oresund-lodz');
    expect(slugify('ＦＵＬＬ　ＷＩＤＴＨ ①')).toBe('full-width-1');
    expect(slugify('  --snake_case--and--dashes--  ')).toBe('snake_case-and-dashes');
    expect(slugify('数据库 延迟')).toBe('');
    expect(slugify('İstanbul')).toBe('istanbul');
  });
});

describe('channelName', () => {
  it('fills the template: UTC date, whole id, slug', () => {
    expect(channelName(base)).toBe('inc-20240101-inc-42-checkout-5xx-rate-above-5');
  });

  it('uses the UTC day, not the local one', () => {
    expect(channelName({ ...base, template: '{date}-{id}', date: new Date('2024-03-31T23:59:59.999Z') })).toBe('20240331-inc-42');
  });

  it('fills {sev} and {service}, and drops an absent service cleanly', () => {
    expect(channelName({ ...base, template: '{sev}-{service}-{id}-{slug}', service: 'Payments API' })).toBe('sev1-payments-api-inc-42-checkout-5xx-rate-above-5');
    expect(channelName({ ...base, template: '{sev}-{service}-{id}-{slug}' })).toBe('sev1-inc-42-checkout-5xx-rate-above-5');
  });

  it('puts the id in front when the template has no {id}', () => {
    expect(channelName({ ...base, template: 'incident-{slug}' })).toBe('inc-42-incident-checkout-5xx-rate-above-5');
  });

  it('sanitises the literal text of the template', () => {
    expect(channelName({ ...base, template: 'INC_{date}::{id}' })).toBe('inc_20240101-inc-42');
  });

  it('shortens the slug first, at a word boundary, to at most 80 characters', () => {
    const title = 'The checkout service returns errors for every request coming from the mobile application in Europe';
    const name = channelName({ ...base, title });
    expect(name.length).toBeLessThanOrEqual(80);
    expect(name.startsWith('inc-20240101-inc-42-the-checkout-service-returns')).toBe(true);
    expect(name.endsWith('-')).toBe(false);
    // Cut at a word boundary: the name is a prefix of the full slug ending at a word end.
    const full = `inc-20240101-inc-42-${slugify(title)}`;
    expect(full.startsWith(name)).toBe(true);
    expect(full[name.length]).toBe('-');
  });

  it('shortens other placeholders and the literal text when the slug is not enough, never the id', () => {
    const id = `INC-${'9'.repeat(60)}`;
    const name = channelName({ ...base, template: 'incident-number-{date}-{service}-{id}-{slug}', incidentId: id, service: 'payments-gateway-europe' });
    expect(name).toMatch(NAME_RE);
    expect(name).toContain(id.toLowerCase());
    expect(name.length).toBe(80);
  });

  it('refuses an id that cannot be a channel name on its own', () => {
    expect(() => channelName({ ...base, incidentId: 'x'.repeat(81) })).toThrow(AppError);
    expect(() => channelName({ ...base, incidentId: '!!!' })).toThrow(/no letters or digits/);
  });

  it('handles a title with nothing usable', () => {
    expect(channelName({ ...base, title: '🔥🔥🔥' })).toBe('inc-20240101-inc-42');
  });
});

describe('withSuffix', () => {
  it('appends -n when there is room', () => {
    expect(withSuffix('inc-20240101-inc-42-checkout', 2, 'INC-42')).toBe('inc-20240101-inc-42-checkout-2');
  });

  it('cuts the text after the id first, then before it, to stay within 80', () => {
    const long = channelName({ ...base, title: 'a'.repeat(10) + '-' + 'b'.repeat(100) });
    expect(long.length).toBe(80);
    const s = withSuffix(long, 12, 'INC-42');
    expect(s.length).toBeLessThanOrEqual(80);
    expect(s.endsWith('-12')).toBe(true);
    expect(s.startsWith('inc-20240101-inc-42-aaaaaaaaaa')).toBe(true);
    const idAtEnd = `${'x'.repeat(73)}-inc-42`; // 80 characters, id at the end
    expect(withSuffix(idAtEnd, 3, 'INC-42')).toBe(`${'x'.repeat(71)}-inc-42-3`);
  });

  it('refuses nonsense suffixes', () => {
    expect(() => withSuffix('inc-42', 1, 'INC-42')).toThrow(AppError);
    expect(() => withSuffix('inc-42', 2.5, 'INC-42')).toThrow(AppError);
  });
});

describe('validateChannelTemplate', () => {
  it('lists unknown placeholders, unbalanced braces and a missing {id}', () => {
    expect(validateChannelTemplate('inc-{date}-{id}-{slug}')).toEqual([]);
    const issues = validateChannelTemplate('inc-{day}-{slug');
    expect(issues).toEqual([
      'unknown placeholder {day} (known: {date}, {id}, {slug}, {sev}, {service}, {symptom})',
      'unbalanced { or }',
      'no {id}: the incident id will be put in front',
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties

const placeholder = fc.constantFrom('{date}', '{id}', '{slug}', '{sev}', '{service}');
const template = fc.array(fc.oneof(placeholder, fc.string({ unit: 'grapheme', maxLength: 12 })), { maxLength: 8 }).map((xs) => xs.join(''));
const incidentId = fc.oneof(
  fc.integer({ min: 1, max: 10_000_000 }).map((n) => `INC-${n}`),
  fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{0,30}$/),
);
const input = fc.record({
  template,
  incidentId,
  date: fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2999-12-31T00:00:00Z'), noInvalidDate: true }),
  title: fc.string({ unit: 'grapheme', maxLength: 200 }),
  severity: fc.constantFrom(...Severity.options),
  service: fc.option(fc.string({ unit: 'grapheme', maxLength: 60 }), { nil: undefined }),
});

describe('channel name properties', () => {
  it('any unicode title and template gives a valid name that contains the whole id', () => {
    fc.assert(
      fc.property(input, (i) => {
        const name = channelName(i);
        expect(name).toMatch(NAME_RE);
        expect(name).toContain(slugify(i.incidentId));
        expect(name).not.toMatch(/^-|-$|--/);
      }),
      { numRuns: 500 },
    );
  });

  it('suffixed names stay valid, within 80, end with the suffix and keep the id', () => {
    fc.assert(
      fc.property(input, fc.integer({ min: 2, max: 1_000_000 }), (i, n) => {
        const name = withSuffix(channelName(i), n, i.incidentId);
        expect(name).toMatch(NAME_RE);
        expect(name.endsWith(`-${n}`)).toBe(true);
        expect(name).toContain(slugify(i.incidentId));
      }),
      { numRuns: 500 },
    );
  });

  it('successive suffixes give distinct names', () => {
    fc.assert(
      fc.property(input, (i) => {
        const first = channelName(i);
        const names = new Set([first, ...[2, 3, 4, 10, 11].map((n) => withSuffix(first, n, i.incidentId))]);
        expect(names.size).toBe(6);
      }),
      { numRuns: 200 },
    );
  });

  it('the slug is shortened before anything else: the name starts with the name built without a title', () => {
    const prefix = fc
      .array(fc.oneof(fc.constantFrom('{date}', '{id}', '{sev}', '{service}'), fc.string({ unit: 'grapheme', maxLength: 12 })), { maxLength: 8 })
      .map((xs) => xs.join('').replaceAll('{slug}', ''));
    fc.assert(
      fc.property(input, prefix, (i, pre) => {
        const template = `${pre}-{slug}`;
        const withoutTitle = channelName({ ...i, template, title: '' });
        const name = channelName({ ...i, template });
        expect(name.startsWith(withoutTitle)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
