import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { Writable } from 'node:stream';
import { LOG_LEVELS, type LogLevel } from './config.js';
import { aroundContractCalls, type IBlockDeviceAPI } from './driver.js';

/**
 * One structured log entry, in the shape eliot gave the original: entries of one task share `task_uuid`, and
 * `task_level` places an entry in the tree of nested actions.
 */
export interface LogEntry {
  readonly task_uuid: string;
  readonly task_level: readonly number[];
  readonly timestamp: string;
  readonly action_type?: string;
  readonly action_status?: 'started' | 'succeeded' | 'failed';
  readonly message_type?: string;
  readonly duration_ms?: number;
  readonly [field: string]: unknown;
}

export type LogSink = (entry: LogEntry) => void;
export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  /** Runs `fn` as an action: a start entry, then a success or failure entry with its duration. Nests. */
  action<T>(actionType: string, fields: LogFields, fn: () => Promise<T>): Promise<T>;
  /** A single entry inside the current action, or a task of its own outside any. @default level info */
  message(messageType: string, fields?: LogFields, level?: LogLevel): void;
}

export interface LoggerOptions {
  readonly sink: LogSink;
  /** Secret values (passwords, keys) to blank wherever they appear inside strings. */
  readonly secrets?: readonly string[];
  /** Entries less severe than this are dropped. Actions log at info, failures at error. @default 'debug' */
  readonly level?: LogLevel;
  readonly now?: () => number;
}

export const REDACTED = '[REDACTED]';

/** Keys whose values never reach a log: any containing password, secret, token, key, credential, authorization. */
const SECRET_KEY = /password|secret|token|key|credential|authorization/i;

/** The values of secret-named keys anywhere in `value`, to blank them inside strings too. */
export function secretValues(value: unknown, seen = new WeakSet<object>()): string[] {
  if (value === null || typeof value !== 'object' || seen.has(value)) return [];
  seen.add(value);
  return Object.entries(value).flatMap(([key, item]) =>
    SECRET_KEY.test(key) && typeof item === 'string' && item !== '' ? [item] : secretValues(item, seen),
  );
}

/** A deep copy of `value` with secret-named keys and known secret strings blanked. */
export function redact(
  value: unknown,
  secrets: readonly string[] = [],
  seen = new WeakSet<object>(),
): unknown {
  if (typeof value === 'string') {
    return secrets.reduce(
      (text, secret) => (secret === '' ? text : text.replaceAll(secret, REDACTED)),
      value,
    );
  }
  if (typeof value === 'bigint') return value.toString();
  if (value === null || typeof value !== 'object') return value;
  // Responses from SDKs can be circular; a log entry must never be what breaks the call it describes.
  if (seen.has(value)) return '[Circular]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((item) => redact(item, secrets, seen));
  if (value instanceof Error) return redact(describeError(value), secrets, seen);
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [
      key,
      SECRET_KEY.test(key) ? REDACTED : redact(item, secrets, seen),
    ]),
  );
}

interface ActionContext {
  readonly taskUuid: string;
  readonly prefix: readonly number[];
  counter: number;
}

/** A logger writing to `sink`; nesting follows the async call chain. */
export function createLogger(options: LoggerOptions): Logger {
  const now = options.now ?? Date.now;
  const current = new AsyncLocalStorage<ActionContext>();
  const threshold = LOG_LEVELS.indexOf(options.level ?? 'debug');
  const write = (context: ActionContext, fields: LogFields, level: LogLevel = 'info'): void => {
    context.counter += 1;
    // Counted even when dropped, so task levels stay comparable across log levels.
    if (LOG_LEVELS.indexOf(level) < threshold) return;
    options.sink({
      ...(redact(fields, options.secrets) as LogFields),
      task_uuid: context.taskUuid,
      task_level: [...context.prefix, context.counter],
      timestamp: new Date(now()).toISOString(),
    });
  };
  const child = (): ActionContext => {
    const parent = current.getStore();
    if (parent === undefined) return { taskUuid: randomUUID(), prefix: [], counter: 0 };
    parent.counter += 1;
    return { taskUuid: parent.taskUuid, prefix: [...parent.prefix, parent.counter], counter: 0 };
  };
  return {
    async action(actionType, fields, fn) {
      const context = child();
      const started = now();
      write(context, { ...fields, action_type: actionType, action_status: 'started' });
      try {
        const result = await current.run(context, fn);
        write(context, { action_type: actionType, action_status: 'succeeded', duration_ms: now() - started });
        return result;
      } catch (error) {
        write(
          context,
          {
            action_type: actionType,
            action_status: 'failed',
            duration_ms: now() - started,
            error: describeError(error),
          },
          'error',
        );
        throw error;
      }
    },
    message(messageType, fields = {}, level = 'info') {
      write(current.getStore() ?? child(), { ...fields, message_type: messageType }, level);
    },
  };
}

/** A sink writing one JSON object per line, as `flocker-certify logs` reads. */
export function jsonLinesSink(stream: Writable): LogSink {
  return (entry) => {
    stream.write(`${JSON.stringify(entry)}\n`);
  };
}

/** A logger that writes nothing. */
export const silentLogger: Logger = {
  action: (_type, _fields, fn) => fn(),
  message: () => {},
};

/**
 * Wraps a driver so that each contract call is logged as an action `<name>:<method>` with its arguments and
 * outcome, and a result entry (a count for listings). Drivers log their own backend calls, which nest inside.
 */
export function instrumentApi<T extends IBlockDeviceAPI>(api: T, logger: Logger, name: string): T {
  return aroundContractCalls(api, (method, args, call) =>
    logger.action(`${name}:${method}`, args.length > 0 ? { args } : {}, async () => {
      const result = await call();
      if (Array.isArray(result))
        logger.message(`${name}:${method}:result`, { count: result.length }, 'debug');
      else if (result !== undefined) logger.message(`${name}:${method}:result`, { result }, 'debug');
      return result;
    }),
  );
}

function describeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: String(error) };
  const code = (error as { code?: unknown }).code;
  return { name: error.name, message: error.message, ...(code === undefined ? {} : { code }) };
}
