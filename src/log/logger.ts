import { pino, type DestinationStream, type Logger } from "pino";
import { REDACTED, redactCredentials, redactValue } from "../security/find-credentials.ts";

/**
 * Three layers, because each misses something the next one catches:
 * 1. `redact` paths: fast, for the places we know hold secrets (headers, config).
 * 2. `formatters` + `hooks.logMethod`: any credential-named key at any depth,
 *    credential-shaped text in messages, interpolation args, bindings and errors.
 * 3. `hooks.streamWrite`: a last pass over the finished JSON line, for what
 *    serializers produced after layer 2 ran.
 */
const CREDENTIAL_KEYS = [
  "authorization", "cookie", "password", "passwd", "token", "accessToken", "access_token",
  "refreshToken", "refresh_token", "providerToken", "provider_token", "secret", "clientSecret",
  "privateKey", "private_key", "apiKey", "api_key", "signingKey", "eventKey", "serviceRoleKey",
  "credentials", "jwt",
];
const HEADER_KEYS = ["authorization", "cookie", '["set-cookie"]', '["proxy-authorization"]', '["x-api-key"]'];
const HEADER_PARENTS = ["headers", "req.headers", "res.headers", "request.headers", "response.headers", "err.request.headers"];

export const REDACT_PATHS: readonly string[] = [
  ...CREDENTIAL_KEYS,
  ...CREDENTIAL_KEYS.map((key) => `*.${key}`),
  ...HEADER_PARENTS.flatMap((parent) => HEADER_KEYS.map((key) => `${parent}${key.startsWith("[") ? key : `.${key}`}`)),
];

export interface LoggerOptions {
  level?: string;
  /** Where lines go; defaults to stdout. Tests pass a collecting Writable. */
  destination?: DestinationStream;
}

/**
 * A pino logger that never writes a credential. Also fits the Inngest client's
 * `logger` option: v4 wants `info/warn/error/debug(...args)` and calls
 * `.child({ runID, eventName })` when present, which keeps these hooks.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? "info",
      redact: { paths: [...REDACT_PATHS], censor: REDACTED },
      formatters: {
        bindings: (bindings) => redactValue(bindings),
        log: (object) => object,
      },
      hooks: {
        // Interpolation args (`log.info("got %s", value)`) never reach formatters.
        logMethod(args, method) {
          const clean = args.map((arg) => (typeof arg === "string" ? redactCredentials(arg) : redactValue(arg)));
          method.apply(this, clean as Parameters<typeof method>);
        },
        streamWrite: (line) => redactCredentials(line),
      },
    },
    options.destination ?? pino.destination(1),
  );
}

/**
 * A child logger for one delivery or run, e.g. `childLogger(log, { deliveryId })`.
 * Bindings are redacted once here as well as by the `bindings` formatter.
 */
export function childLogger(parent: Logger, bindings: Record<string, unknown>): Logger {
  return parent.child(redactValue(bindings));
}
