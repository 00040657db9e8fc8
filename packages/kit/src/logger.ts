import { pino, type Logger } from "pino";

export type { Logger };

// Tokens, keys and message bodies must never reach a log line, whatever a caller passes in.
const REDACTED = [
  "token",
  "*.token",
  "sessionToken",
  "keyManagerToken",
  "*.sessionToken",
  "*.keyManagerToken",
  "req.headers.sessiontoken",
  "req.headers.keymanagertoken",
  "req.headers.authorization",
  "req.headers.cookie",
  'res.headers["set-cookie"]',
  "key",
  "*.key",
  "body",
  "*.body",
  "plaintext",
  "*.plaintext",
];

export function createLogger(service: string, level = process.env.LOG_LEVEL ?? "info"): Logger {
  return pino({
    name: service,
    level,
    base: { service },
    redact: { paths: REDACTED, censor: "[redacted]" },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
