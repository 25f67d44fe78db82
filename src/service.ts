import type { AddressInfo } from "node:net";
import { serve as serveHttp, type ServerType } from "@hono/node-server";
import type { Logger } from "pino";
import { INNGEST_SERVE_PATH, createFunctions } from "../inngest.config.ts";
import { type Env, databaseTarget } from "./config/env.ts";
import { openDatabase } from "./db/open-database.ts";
import { createHttpApp } from "./http/app.ts";
import { createInngestClient, isInngestDev } from "./inngest/client.ts";

export interface RunningService {
  url: string;
  stop(): Promise<void>;
}

/** Wires real dependencies and listens. Everything it opens, stop() closes, in reverse order. */
export async function startService(env: Env, logger: Logger): Promise<RunningService> {
  const db = await openDatabase(databaseTarget(env), logger);
  try {
    const client = createInngestClient({ env, logger: logger.child({ component: "inngest" }) });
    const functions = createFunctions(client, { rpc: db.rpc });
    const app = createHttpApp({ rpc: db.rpc, logger, inngest: { client, functions, servePath: INNGEST_SERVE_PATH } });
    const server = await listen(app.fetch, env.HOST, env.PORT);
    const { port } = server.address() as AddressInfo;
    const url = `http://${env.HOST}:${port}`;
    logger.info({ url, inngestDev: isInngestDev(env), functions: functions.length }, "[service] listening");
    if (isInngestDev(env)) {
      logger.info(`[service] Inngest dev mode: run \`npx inngest-cli@latest dev -u ${url}${INNGEST_SERVE_PATH}\` to execute functions`);
    }
    return {
      url,
      async stop() {
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await db.close();
      },
    };
  } catch (err) {
    await db.close();
    throw err;
  }
}

function listen(fetch: (req: Request) => Response | Promise<Response>, hostname: string, port: number): Promise<ServerType> {
  return new Promise((resolve, reject) => {
    const server = serveHttp({ fetch, hostname, port }, () => resolve(server));
    server.once("error", reject);
  });
}
