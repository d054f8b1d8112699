import { pino, type DestinationStream, type Logger } from 'pino';

/**
 * The process logger. Request bodies, user attributes and credentials are never
 * passed to it; the redact list is a second line of defence.
 */
export function createLogger(name: string, level = process.env.LOG_LEVEL ?? 'info', destination?: DestinationStream): Logger {
  return pino({
    name,
    level,
    redact: {
      paths: ['*.secret', '*.password', '*.authorization', 'auth', 'attributes', '*.attributes', 'headers.authorization'],
      censor: '[redacted]',
    },
  }, ...(destination ? [destination] : []));
}

export type { Logger };
