/** A Logger that keeps its lines (with every binding of its parents) for tests to read. */
import type { Logger } from '../../workflows/ports.js';

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  msg?: string;
  /** The bindings of the logger and its parents, then the line's own fields. */
  fields: Record<string, unknown>;
}

export interface MemoryLogger extends Logger {
  lines: LogLine[];
}

export function createMemoryLogger(lines: LogLine[] = [], bindings: Record<string, unknown> = {}): MemoryLogger {
  const at =
    (level: LogLine['level']) =>
    (obj: object, msg?: string): void => {
      lines.push({ level, ...(msg !== undefined ? { msg } : {}), fields: { ...bindings, ...(obj as Record<string, unknown>) } });
    };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: (b) => createMemoryLogger(lines, { ...bindings, ...b }) };
}
