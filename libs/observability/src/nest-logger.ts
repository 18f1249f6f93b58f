import type { LoggerService } from '@nestjs/common';
import type { Logger } from './logger';

/**
 * Nest's own logging (and every `new Logger(context)` in the Nest modules) through the one JSON
 * logger: the message as `msg`, the context as `context`, object arguments as fields, a stack as
 * `error`. Nest's `log` and `verbose` are our `debug`.
 */
export function nestLoggerOf(logger: Logger): LoggerService {
  const write = (level: 'debug' | 'info' | 'warn' | 'error', message: unknown, params: unknown[]) => {
    if (!logger.isLevelEnabled(level)) return;
    const fields: Record<string, unknown> = {};
    const rest = [...params];
    if (rest.length > 0 && typeof rest[rest.length - 1] === 'string') fields['context'] = rest.pop();
    for (const p of rest) {
      if (p && typeof p === 'object') Object.assign(fields, p);
      else if (typeof p === 'string') fields['error'] = p;
    }
    logger[level](fields, typeof message === 'string' ? message : JSON.stringify(message));
  };
  return {
    // Nest's `log` is framework chatter (modules loaded, routes mapped): debug.
    log: (message, ...params) => write('debug', message, params),
    error: (message, ...params) => write('error', message, params),
    warn: (message, ...params) => write('warn', message, params),
    debug: (message, ...params) => write('debug', message, params),
    verbose: (message, ...params) => write('debug', message, params),
    fatal: (message, ...params) => write('error', message, params),
  };
}
