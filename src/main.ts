import { loadEnvOrExit } from "./config/load-env.ts";
import { EmbeddedPostgresError } from "./db/embedded-postgres.ts";
import { shutdownOnSignals } from "./lifecycle/shutdown-on-signals.ts";
import { createLogger } from "./log/logger.ts";
import { startService } from "./service.ts";

const env = loadEnvOrExit();

const logger = createLogger({ level: env.LOG_LEVEL });

// Before start-up: a Ctrl-C during initdb or migrations still stops Postgres and unlocks .data.
// package.json starts us with `exec node --import tsx`: npm signals only its child, and dash's `sh -c` does not exec a lone command.
// Not the tsx CLI: it SIGKILLs a child that does not acknowledge a relayed signal within 30 ms (tsx dist/cli.mjs, relaySignalToChild).
const shutdown = shutdownOnSignals(logger);

try {
  const service = await startService(env, logger);
  shutdown.whenStarted(() => service.stop());
} catch (err) {
  // A problem the operator can fix is one sentence saying how; a stack would bury it.
  if (err instanceof EmbeddedPostgresError) logger.fatal(err.message);
  else logger.fatal({ err }, "[service] failed to start");
  process.exit(1);
}
