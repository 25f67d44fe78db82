import { open, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { EmbeddedPostgresError } from "./embedded-postgres-error.ts";

export const LOCK_FILE = "owner.pid";

/** One process per data folder: a second start fails clearly instead of racing initdb. */
export async function acquireDirLock(dir: string): Promise<() => Promise<void>> {
  const lockPath = path.join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(lockPath, "wx", 0o600);
      await handle.writeFile(String(process.pid));
      await handle.close();
      return () => rm(lockPath, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const owner = await lockOwner(dir);
      if (owner !== undefined) {
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

/** The live process holding `dir`, if any. */
export async function lockOwner(dir: string): Promise<number | undefined> {
  const text = await readFile(path.join(dir, LOCK_FILE), "utf8").catch(() => "");
  const pid = Number.parseInt(text, 10);
  return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : undefined;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
