import type { Logger } from "pino";
import { createPgRevocationFeed } from "../api-keys/pg-revocation-feed.ts";
import type { RevocationFeed } from "../api-keys/revocation-feed.ts";
import type { DatabaseTarget } from "../config/env.ts";
import { startEmbeddedPostgres } from "./embedded-postgres.ts";
import { migrate } from "./migrate.ts";
import { type RpcClient, createRpcClient } from "./rpc/rpc-client.ts";
import { createSqlTransport } from "./rpc/sql-transport.ts";
import { createSupabaseTransport } from "./rpc/supabase-transport.ts";
import { createSql } from "./sql-client.ts";

export interface OpenDatabase {
  rpc: RpcClient;
  /** API-key revocations over LISTEN/NOTIFY; undefined on supabase-js, which cannot LISTEN. */
  revocations?: RevocationFeed;
  close(): Promise<void>;
}

/** Connects the RPC layer to the configured database; the embedded one is started and migrated first. */
export async function openDatabase(target: DatabaseTarget, logger: Logger): Promise<OpenDatabase> {
  switch (target.kind) {
    case "supabase": {
      logger.info({ supabaseUrl: target.url }, "[db] using Supabase (PostgREST RPC, service role)");
      const rpc = createRpcClient(
        createSupabaseTransport({ url: target.url, serviceRoleKey: target.serviceRoleKey }),
      );
      return { rpc, close: () => rpc.close() };
    }
    case "postgres": {
      logger.info(
        "[db] using DATABASE_URL (direct SQL as service_role; run `npm run db:migrate` to apply migrations)",
      );
      const rpc = createRpcClient(
        createSqlTransport(createSql(target.url, { role: "service_role" })),
      );
      const revocations = createPgRevocationFeed({ url: target.url, logger });
      return {
        rpc,
        revocations,
        async close() {
          await revocations.close();
          await rpc.close();
        },
      };
    }
    case "embedded": {
      const pgLog = logger.child({ component: "embedded-postgres" });
      const pg = await startEmbeddedPostgres({
        dir: target.dir,
        port: target.port,
        onLog: (line) => pgLog.debug(line),
        logger: pgLog,
      });
      try {
        const admin = createSql(pg.url, { max: 1 });
        const result = await migrate(admin).finally(() => admin.end());
        logger.info(
          {
            dir: target.dir,
            port: target.port,
            applied: result.applied.length,
            bootstrapped: result.bootstrapped,
          },
          "[db] embedded Postgres ready",
        );
        const rpc = createRpcClient(
          createSqlTransport(createSql(pg.url, { role: "service_role" })),
        );
        const revocations = createPgRevocationFeed({ url: pg.url, logger });
        return {
          rpc,
          revocations,
          async close() {
            await revocations.close();
            await rpc
              .close()
              .catch((err: unknown) => logger.warn({ err }, "[db] closing the pool failed"));
            await pg.stop();
          },
        };
      } catch (err) {
        await pg.stop();
        throw err;
      }
    }
  }
}
