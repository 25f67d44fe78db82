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
 * Octokit's lines go through pino as text only: the objects passed along are whole
 * request options, App JWT included (@octokit/plugin-request-log). Its failures are
 * warnings here, since the caller gets a typed error. No logger: silent, not console.
 */
export function octokitLog(logger: Logger | undefined): OctokitLog {
  if (!logger) return { debug: silent, info: silent, warn: silent, error: silent };
  const text = (level: "debug" | "warn") => (message: string) =>
    logger[level](`[octokit] ${String(message)}`);
  return { debug: text("debug"), info: text("debug"), warn: text("warn"), error: text("warn") };
}
