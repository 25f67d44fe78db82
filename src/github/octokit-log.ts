import type { Logger } from "pino";

/** The `log` shape @octokit/app and every Octokit it creates call. */
export interface OctokitLog {
  debug: (message: string, ...rest: unknown[]) => void;
  info: (message: string, ...rest: unknown[]) => void;
  warn: (message: string, ...rest: unknown[]) => void;
  error: (message: string, ...rest: unknown[]) => void;
}

const silent = () => {};

/**
 * Octokit's own lines go through pino with only their text. The objects passed
 * along are whole request options: @octokit/plugin-request-log (part of
 * @octokit/rest) calls `log.debug("request", options)` on the token exchange
 * with `headers.authorization: "bearer <App JWT>"` in clear. Per-request lines (`POST /graphql - 200 ... in 98ms`) are
 * debug; request-log reports every failure as `error`, which is a warning here
 * because the caller gets a typed error and decides how bad it is.
 * Without a logger Octokit is silenced: its defaults write to the console.
 */
export function octokitLog(logger: Logger | undefined): OctokitLog {
  if (!logger) return { debug: silent, info: silent, warn: silent, error: silent };
  const text = (level: "debug" | "warn") => (message: string) =>
    logger[level](`[octokit] ${String(message)}`);
  return { debug: text("debug"), info: text("debug"), warn: text("warn"), error: text("warn") };
}
