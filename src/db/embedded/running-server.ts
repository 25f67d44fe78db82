import { readFile } from "node:fs/promises";
import path from "node:path";
import { isAlive, lockOwner } from "./dir-lock.ts";
import { EmbeddedPostgresError } from "./embedded-postgres-error.ts";
import { storedPassword } from "./local-password.ts";

export interface RunningServer {
  url: string;
  /** The process holding the data folder (the service, or another script). */
  owner: number;
  port: number;
}

/**
 * The server another process runs on the data folder `dir`, for scripts working beside it;
 * undefined when no live process holds `dir`. The port comes from Postgres's own
 * postmaster.pid (line 4; line 8 is its status), so it need not match EMBEDDED_PG_PORT.
 */
export async function runningServer(
  dir: string,
  waitMs = 30_000,
): Promise<RunningServer | undefined> {
  const deadline = Date.now() + waitMs;
  let owner: number | undefined;
  for (;;) {
    owner = await lockOwner(dir);
    if (owner === undefined) return undefined;
    const lines = await readFile(path.join(dir, "pg", "postmaster.pid"), "utf8")
      .then((text) => text.split("\n"))
      .catch(() => []);
    const [pid, port, status] = [Number(lines[0]), Number(lines[3]), lines[7]?.trim()];
    const serving = Number.isInteger(pid) && pid > 0 && isAlive(pid);
    if (serving && status === "ready") {
      const password = await storedPassword(dir);
      if (!password) break;
      const url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
      return { url, owner, port };
    }
    // A server still starting becomes ready shortly; no server at all means waiting is pointless.
    if (!serving || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new EmbeddedPostgresError(
    `[embedded-postgres] ${dir} is held by process ${owner}, which has no database server ready on it: wait until it has started (or stop it), then run this again`,
  );
}
