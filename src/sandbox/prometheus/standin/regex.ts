/**
 * Prometheus label regexes are Go RE2, anchored as `^(?:re)$`; the stand-in matches with JavaScript
 * RegExp. The two agree on the common syntax, but not everywhere, so a regex is translated only when
 * the JavaScript meaning is the RE2 meaning, and refused otherwise (never matched differently):
 * - RE2 rejects lookaround and backreferences: a parse error, as Prometheus answers;
 * - RE2 features JavaScript lacks or reads differently (POSIX classes `[[:alpha:]]`, `\pL`, `\z`,
 *   `\A`, `\Q...\E`, `\C`, `\x{...}`, flag groups other than a leading `(?i)`, `(?P<name>`) are
 *   refused as unsupported;
 * - an escaped punctuation character that JavaScript's `u` mode does not allow escaping (`\-` outside
 *   a class, `\'`, `\"`...) means that literal character in RE2 and is written unescaped;
 * - the `u` flag makes `.` and classes work on code points, as RE2 does on UTF-8.
 */
import { PromQLError } from './parse-error.js';

/** Characters JavaScript's `u` mode allows after a backslash (outside a class; inside one `-` too). */
const JS_ESCAPABLE = new Set('^$\\.*+?()[]{}|/'.split(''));
const RE2_LETTER_ESCAPES = new Set(['d', 'D', 'w', 'W', 's', 'S', 'b', 'B', 'n', 't', 'r', 'f', 'v']);

/** The anchored JavaScript RegExp for an RE2 label regex; throws PromQLError ('parse' or 'unsupported'). */
export function re2ToRegExp(value: string, where: string): RegExp {
  const unsupported = (what: string): never => {
    throw new PromQLError('unsupported', `${where}: not supported by the sandbox's Prometheus stand-in: ${what} in the regular expression ${JSON.stringify(value)} (install the real Prometheus, apt-get install prometheus, for full RE2)`);
  };
  const invalid = (what: string): never => {
    throw new PromQLError('parse', `${where}: parse error: error parsing regexp: ${what}: ${JSON.stringify(value)}`);
  };
  let src = value;
  let flags = 'u';
  if (src.startsWith('(?i)')) {
    src = src.slice(4);
    flags += 'i';
  }
  let out = '';
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i] ?? '';
    if (c === '\\') {
      const n = src[i + 1];
      if (n === undefined) invalid('trailing backslash at end of expression');
      i++;
      if (/[1-9]/.test(n ?? '')) invalid('invalid escape sequence (backreferences are not RE2)');
      if (n === 'x') {
        if (src[i + 1] === '{') unsupported('\\x{...}');
        out += `\\x`;
        continue;
      }
      if (/[a-zA-Z0-9]/.test(n ?? '')) {
        if (!RE2_LETTER_ESCAPES.has(n ?? '')) unsupported(`the escape \\${n}`);
        if (inClass && (n === 'b' || n === 'B' || n === 'S')) unsupported(`the escape \\${n} inside a class`);
        // RE2's \s is [\t\n\f\r ] only; JavaScript's also takes \v and Unicode spaces.
        if (n === 's') out += inClass ? '\\t\\n\\f\\r ' : '[\\t\\n\\f\\r ]';
        else if (n === 'S') out += '[^\\t\\n\\f\\r ]';
        else out += `\\${n}`;
        continue;
      }
      // Escaped punctuation: a literal in RE2.
      out += JS_ESCAPABLE.has(n ?? '') || (inClass && n === '-') ? `\\${n}` : n;
      continue;
    }
    if (inClass) {
      if (c === '[' && src[i + 1] === ':') unsupported('POSIX character classes');
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      // A `]` first in a class (or after `^`) is a literal in RE2.
      if (src[i + 1] === '^') {
        out += '^';
        i++;
      }
      if (src[i + 1] === ']') {
        out += '\\]';
        i++;
      }
      continue;
    }
    if (c === '(' && src[i + 1] === '?') {
      const rest = src.slice(i + 2);
      if (rest.startsWith(':')) {
        out += '(?:';
        i += 2;
        continue;
      }
      if (/^(=|!|<=|<!)/.test(rest)) invalid('invalid or unsupported Perl syntax (lookaround)');
      unsupported(`the group (?${rest.slice(0, 3)}`);
    }
    out += c;
  }
  try {
    return new RegExp(`^(?:${out})$`, flags);
  } catch (e) {
    // RE2 and JavaScript differ on what is malformed (e.g. a lone `{` is a literal in RE2).
    return unsupported(`a regular expression JavaScript cannot read the same way (${e instanceof Error ? e.message : String(e)})`);
  }
}
