import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { serve as serveHttp, type ServerType } from "@hono/node-server";
import type { Logger } from "pino";
import { INNGEST_SERVE_PATH } from "../inngest.config.ts";
import { createApplication } from "./application.ts";
import { sessionVerifierFromEnv } from "./auth/session-verifier-from-env.ts";
import { type Env, databaseTarget } from "./config/env.ts";
import { openDatabase } from "./db/open-database.ts";
import { githubAppFromEnv } from "./github/github-app.ts";
import { gracefulClose } from "./lifecycle/graceful-close.ts";
import { isInngestDev } from "./inngest/client.ts";

/** How long in-flight requests may take to finish on stop before their connections are closed. */
const DRAIN_MS = 10_000;

export interface RunningService {
  url: string;
  stop(): Promise<void>;
}

/**
 * Wires real dependencies and listens. Everything it opens, stop() closes, in reverse order:
 * HTTP first (drained), then webhook forwards in flight, then the database, so in-flight
 * work still reaches Postgres.
 */
export async function startService(env: Env, logger: Logger): Promise<RunningService> {
  const db = await openDatabase(databaseTarget(env), logger);
  try {
    const github = githubAppFromEnv(env, { logger: logger.child({ component: "github" }) });
    if (!github)
      logger.warn(
        "[service] GitHub App not configured (GITHUB_APP_ID / GITHUB_APP_PRIVATE_KEY): audits will end as skipped",
      );
    const verifier = await sessionVerifierFromEnv(env);
    const { http, functions, webhooks, apiKeys } = createApplication({
      env,
      rpc: db.rpc,
      ...(db.revocations ? { revocations: db.revocations } : {}),
      logger,
      verifier,
      github,
    });
    const server = await listen(http.fetch, env.HOST, env.PORT);
    const closeHttp = gracefulClose(server as Server);
    const { port } = server.address() as AddressInfo;
    const url = `http://${env.HOST}:${port}`;
    const inngestDev = isInngestDev(env);
    logger.info({ url, inngestDev, functions: functions.length }, "[service] listening");
    if (inngestDev) {
      logger.info(
        `[service] Inngest dev mode: run \`npx inngest-cli@latest dev -u ${url}${INNGEST_SERVE_PATH}\` to execute functions`,
      );
    }
    return {
      url,
      async stop() {
        await closeHttp(DRAIN_MS);
        // Deliveries already answered are still being forwarded; unfinished ones stay pending.
        await webhooks.settled();
        await apiKeys.settled();
        await db.close();
      },
    };
  } catch (err) {
    await db.close();
    throw err;
  }
}

function listen(
  fetch: (req: Request) => Response | Promise<Response>,
  hostname: string,
  port: number,
): Promise<ServerType> {
  return new Promise((resolve, reject) => {
    const server = serveHttp({ fetch, hostname, port }, () => resolve(server));
    server.once("error", reject);
  });
}
