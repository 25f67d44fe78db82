import { pino, type DestinationStream, type Logger } from "pino";
import { REDACTED, redactCredentials, redactValue } from "../security/find-credentials.ts";

/**
 * Three layers, because each misses something the next one catches:
 * 1. `redact` paths: fast, for the places we know hold secrets (headers, config).
 * 2. `formatters.log`, `hooks.logMethod` and `child()`: any credential-named
 *    key at any depth, credential-shaped text in messages, interpolation args,
 *    child bindings and errors.
 * 3. `hooks.streamWrite`: a last pass over the finished JSON line, for what
 *    serializers produced after layer 2 ran.
 */
const CREDENTIAL_KEYS = [
  "authorization",
  "cookie",
  "password",
  "passwd",
  "token",
  "accessToken",
  "access_token",
  "refreshToken",
  "refresh_token",
  "providerToken",
  "provider_token",
  "secret",
  "clientSecret",
  "privateKey",
  "private_key",
  "apiKey",
  "api_key",
  "signingKey",
  "eventKey",
  "serviceRoleKey",
  "credentials",
  "jwt",
];
const HEADER_KEYS = [
  "authorization",
  "cookie",
  '["set-cookie"]',
  '["proxy-authorization"]',
  '["x-api-key"]',
];
const HEADER_PARENTS = [
  "headers",
  "req.headers",
  "res.headers",
  "request.headers",
  "response.headers",
  "err.request.headers",
];

export const REDACT_PATHS: readonly string[] = [
  ...CREDENTIAL_KEYS,
  ...CREDENTIAL_KEYS.map((key) => `*.${key}`),
  ...HEADER_PARENTS.flatMap((parent) =>
    HEADER_KEYS.map((key) => `${parent}${key.startsWith("[") ? key : `.${key}`}`),
  ),
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
  const logger = pino(
    {
      level: options.level ?? "info",
      redact: { paths: [...REDACT_PATHS], censor: REDACTED },
      formatters: { log: (object) => redactValue(object) },
      hooks: {
        // Format args (`log.info("got %o", value)`) are spliced into `msg` and
        // never reach formatters.log; the merging object (first arg) does.
        logMethod(args, method) {
          const clean = args.map((arg, i) =>
            typeof arg === "string" ? redactCredentials(arg) : i === 0 ? arg : redactValue(arg),
          );
          method.apply(this, clean as Parameters<typeof method>);
        },
        streamWrite: (line) => redactCredentials(line),
      },
    },
    options.destination ?? pino.destination(1),
  );
  // Not formatters.bindings: child() bypasses it (pino lib/proto.js). test/unit/logger.test.ts pins grandchildren.
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with each child's own `this`
  const child = logger.child;
  logger.child = function (this: Logger, bindings, childOptions) {
    return child.call(this, redactValue(bindings), childOptions);
  } as typeof child;
  return logger;
}

/**
 * A child logger for one delivery or run, e.g. `childLogger(log, { deliveryId })`,
 * so every line about it carries its id. Redacts the bindings itself, so it is
 * safe with a parent pino logger that did not come from createLogger.
 */
export function childLogger(parent: Logger, bindings: Record<string, unknown>): Logger {
  return parent.child(redactValue(bindings));
}
