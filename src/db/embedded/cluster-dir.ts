import { createHash } from "node:crypto";
import { lstat, mkdir, readlink, realpath, rm, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "pino";
import { EmbeddedPostgresError } from "./embedded-postgres-error.ts";
import { firstBlockedFolder } from "./reachable.ts";
import type { ServerUser } from "./server-user.ts";

/** In each staged folder: the data folder it belongs to, for whoever finds it. */
export const DATA_FOLDER_RECORD = "data-folder";

/** Not /var/tmp: systemd-tmpfiles ages files out of it, which would corrupt an idle cluster. */
export const DATA_STAGE_ROOT = "/var/lib/credential-free-jobs";

/**
 * Where the cluster of the data folder `dir` lives: `dir/pg`, or, when `user` cannot reach
 * `dir`, a folder under DATA_STAGE_ROOT keyed by a hash of `dir` that `dir/pg` links to.
 * The link is the record: `dir` stays the one thing to keep or delete. Call with `dir` locked.
 */
export async function clusterDir(
  dir: string,
  user: ServerUser | undefined,
  logger?: Logger,
): Promise<string> {
  const link = path.join(dir, "pg");
  const existing = await lstat(link).catch(() => undefined);
  if (existing?.isSymbolicLink()) {
    const target = path.resolve(dir, await readlink(link));
    if (user) await mustReach(target, user, `the cluster ${link} links to`);
    logger?.info(
      { dir, cluster: target },
      "[embedded-postgres] cluster staged outside the data folder",
    );
    return target;
  }
  if (!user) return link;
  const blocked = await firstBlockedFolder(link, user);
  if (!blocked) return link;
  if (existing) {
    throw new EmbeddedPostgresError(
      `[embedded-postgres] the postgres user cannot reach the cluster in ${link} because ${blocked} is private: run \`chmod o+x ${blocked}\` or move ${dir} to a folder it can reach`,
    );
  }
  const real = await realpath(dir);
  const home = path.join(
    DATA_STAGE_ROOT,
    createHash("sha256").update(real).digest("hex").slice(0, 16),
  );
  const target = path.join(home, "pg");
  try {
    await mkdir(DATA_STAGE_ROOT, { recursive: true, mode: 0o755 });
    await mkdir(home, { recursive: true, mode: 0o711 });
    // No link means a fresh data folder: what is there belongs to a deleted one at this path.
    await rm(target, { recursive: true, force: true });
    await writeFile(path.join(home, DATA_FOLDER_RECORD), `${real}\n`);
    await symlink(target, link);
  } catch (err) {
    throw new EmbeddedPostgresError(
      `[embedded-postgres] the postgres user cannot reach ${dir} because ${blocked} is private, and ${home} could not be made for the cluster (${(err as Error).message}): set EMBEDDED_PG_DIR to a folder outside ${blocked}`,
      { cause: err },
    );
  }
  await mustReach(target, user, "the staged cluster");
  logger?.info(
    { dir, cluster: target, blocked },
    "[embedded-postgres] the postgres user cannot reach the data folder; the cluster lives in the staged folder its pg link points to",
  );
  return target;
}

async function mustReach(target: string, user: ServerUser, what: string): Promise<void> {
  const blocked = await firstBlockedFolder(target, user);
  if (blocked) {
    throw new EmbeddedPostgresError(
      `[embedded-postgres] the postgres user cannot reach ${what}, ${target}, because ${blocked} is private: run \`chmod o+x ${blocked}\``,
    );
  }
}
