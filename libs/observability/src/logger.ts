import pino, { DestinationStream, Logger } from 'pino';

export type { Logger } from 'pino';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/**
 * The one logger: JSON lines on stdout with `time` (ISO), `level` (a word), `service` and `msg`,
 * plus the caller's fields (requestId, method, route, status, duration, user, queue, jobId…).
 * Lines below `level` (WHARF_LOG_LEVEL) are not written.
 */
export function createLogger(service: string, level: LogLevel = 'info', destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service },
    messageKey: 'msg',
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  return destination ? pino(options, destination) : pino(options);
}
