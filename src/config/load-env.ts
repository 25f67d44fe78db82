import { existsSync } from "node:fs";
import { ConfigError, type Env, readEnv } from "./env.ts";

/**
 * For entry points (service, scripts): a local .env is loaded if present (a
 * development convenience; it never overrides what the environment sets), then
 * validated. A bad configuration ends the process with EX_CONFIG (78) and a
 * message naming the variables, never their values.
 */
export function loadEnvOrExit(): Env {
  if (existsSync(".env")) process.loadEnvFile(".env");
  try {
    return readEnv();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\nSee README.md (Configuration) and .env.example.\n`);
    process.exit(78);
  }
}
