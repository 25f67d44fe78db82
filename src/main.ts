import { existsSync } from "node:fs";
import { ConfigError, readEnv } from "./config/env.ts";
import { createLogger } from "./log/logger.ts";
import { startService } from "./service.ts";

// A local .env is a convenience for development; real deployments set the environment.
if (existsSync(".env")) process.loadEnvFile(".env");

let env;
try {
  env = readEnv();
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`${err.message}\nSee README.md (Configuration) and .env.example.\n`);
  process.exit(78); // EX_CONFIG
}

const logger = createLogger({ level: env.LOG_LEVEL });

try {
  const service = await startService(env, logger);
  let stopping: Promise<void> | undefined;
  const shutdown = (signal: string) => {
    stopping ??= (async () => {
      logger.info({ signal }, "[service] stopping");
      try {
        await service.stop();
        logger.info("[service] stopped");
        process.exitCode = 0;
      } catch (err) {
        logger.error({ err }, "[service] unclean stop");
        process.exitCode = 1;
      }
    })();
  };
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));
} catch (err) {
  logger.fatal({ err }, "[service] failed to start");
  process.exit(1);
}
