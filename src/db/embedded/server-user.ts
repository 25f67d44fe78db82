import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { EmbeddedPostgresError } from "./embedded-postgres-error.ts";

const run = promisify(execFile);

/** Who the server runs as when that is not the current user. */
export interface ServerUser {
  uid: number;
  gid: number;
}

const NAME = "postgres";

/**
 * Postgres refuses to run as root. As root, the server runs as the `postgres` system user,
 * created if missing (as embedded-postgres's `createPostgresUser` option did); otherwise
 * as the current user (undefined).
 */
export async function serverUser(): Promise<ServerUser | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const existing = await lookup();
  if (existing) return existing;
  await run("groupadd", ["--system", NAME]).catch(() => undefined);
  await run("useradd", ["--system", "--gid", NAME, "--no-create-home", NAME]).catch(
    () => undefined,
  );
  const created = await lookup();
  if (created) return created;
  throw new EmbeddedPostgresError(
    `[embedded-postgres] Postgres refuses to run as root and no \`${NAME}\` user exists or could be created: create one (\`useradd --system ${NAME}\`), run as another user, or set DATABASE_URL`,
  );
}

async function lookup(): Promise<ServerUser | undefined> {
  try {
    const [uid, gid] = await Promise.all([
      run("id", ["-u", NAME]).then((r) => Number.parseInt(r.stdout, 10)),
      run("id", ["-g", NAME]).then((r) => Number.parseInt(r.stdout, 10)),
    ]);
    return Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid } : undefined;
  } catch {
    return undefined;
  }
}
