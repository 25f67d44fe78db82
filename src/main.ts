import { loadEnvOrExit } from "./config/load-env.ts";
import { EmbeddedPostgresError } from "./db/embedded-postgres.ts";
import { createLogger } from "./log/logger.ts";
import { startService } from "./service.ts";

const env = loadEnvOrExit();

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
  // A problem the operator can fix is one sentence saying how; a stack would bury it.
  if (err instanceof EmbeddedPostgresError) logger.fatal(err.message);
  else logger.fatal({ err }, "[service] failed to start");
  process.exit(1);
}
