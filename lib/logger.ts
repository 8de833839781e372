import { pino, type Logger } from 'pino';

/** Keys whose values never reach a log line, wherever they appear (two levels deep). */
const SECRET_KEYS = [
  'password',
  'currentPassword',
  'current-password',
  'token',
  'accessToken',
  'access_token',
  'refresh_token',
  'authorization',
  'cookie',
  'secret',
  'SR_AUTH',
  'apiToken',
];
const redactPaths = SECRET_KEYS.flatMap((k) => [`["${k}"]`, `*["${k}"]`, `*.*["${k}"]`]);

export type { Logger };

export function createLogger(name: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    name,
    level,
    base: { service: name },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: redactPaths, censor: '[redacted]' },
  });
}
