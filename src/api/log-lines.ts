import pino, { type DestinationStream, type LoggerOptions } from 'pino';
import type { Config } from '../config.js';

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const COLOURS: Record<number, number> = { 10: 90, 20: 36, 30: 32, 40: 33, 50: 31, 60: 31 };
/** What every line carries and a person reading the terminal does not need. */
const HIDDEN = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'reqId', 'v']);

/** A JSON log line as one short line for a person: time, level, message, then the other fields as key=value. */
export function prettyLine(json: string, colour: boolean): string {
  let e: Record<string, unknown>;
  try {
    e = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.trimEnd();
  }
  const level = Number(e.level);
  const time = new Date(Number(e.time) || Date.now()).toTimeString().slice(0, 8);
  const label = (LEVELS[level] ?? String(e.level)).padEnd(5);
  const fields = Object.entries(e)
    .filter(([k, v]) => !HIDDEN.has(k) && v !== undefined)
    .map(([k, v]) => {
      const text = typeof v === 'string' ? v : JSON.stringify(v);
      return `${k}=${text.length > 80 ? `${text.slice(0, 77)}...` : text}`;
    });
  const paint = (code: number, s: string) => (colour ? `\x1b[${code}m${s}\x1b[39m` : s);
  const dim = (s: string) => (colour ? `\x1b[2m${s}\x1b[22m` : s);
  return [dim(time), paint(COLOURS[level] ?? 39, label), String(e.msg ?? ''), ...(fields.length ? [dim(fields.join(' '))] : [])].join(' ');
}

/** A pino destination writing pretty lines to a stream. */
export function prettyStream(out: NodeJS.WritableStream & { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): DestinationStream {
  const colour = env.FORCE_COLOR ? env.FORCE_COLOR !== '0' : Boolean(out.isTTY) && !env.NO_COLOR && env.TERM !== 'dumb';
  return { write: (line: string) => void out.write(`${prettyLine(line, colour)}\n`) };
}

/**
 * The logger settings of a process: on a terminal (or with SCENARIST_LOG_FORMAT=pretty) one short
 * human line per event; JSON lines for log collectors otherwise (or with `json`).
 */
export function loggerOptions(
  config: Pick<Config, 'logLevel' | 'logFormat'>,
  out: NodeJS.WritableStream & { isTTY?: boolean } = process.stdout,
): LoggerOptions & { stream?: DestinationStream } {
  const pretty = config.logFormat === 'pretty' || (config.logFormat === 'auto' && Boolean(out.isTTY));
  if (pretty) return { level: config.logLevel, stream: prettyStream(out) };
  // Written at once, like the CLI's own lines, so the two stay in the order they happened (the key banner last).
  return out === process.stdout ? { level: config.logLevel, stream: pino.destination({ dest: 1, sync: true }) } : { level: config.logLevel };
}
