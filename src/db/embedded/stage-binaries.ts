import { chmod, cp, lstat, mkdtemp, readdir, readlink, rename, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Logger } from "pino";
import { EmbeddedPostgresError } from "./embedded-postgres-error.ts";
import { type PostgresBinaries, binary } from "./postgres-binaries.ts";
import { firstBlockedFolder } from "./reachable.ts";
import type { ServerUser } from "./server-user.ts";

export const BINARIES_STAGE_PREFIX = "credential-free-jobs-pg-";

/**
 * Binaries `user` can execute: the installed ones when it can reach them, else a copy in a
 * root-owned 0755 folder under `stageRoot` (os.tmpdir()), keyed by version and reused once
 * verified. A clone under /root or in a `mktemp -d` folder is out of the postgres user's reach.
 */
export async function reachableBinaries(
  bins: PostgresBinaries,
  user: ServerUser | undefined,
  logger?: Logger,
  stageRoot: string = tmpdir(),
): Promise<PostgresBinaries> {
  if (!user) return bins;
  const blocked = await firstBlockedFolder(binary(bins, "postgres"), user);
  if (!blocked) return bins;
  const staged = await stageBinaries(bins, stageRoot);
  const stillBlocked = await firstBlockedFolder(binary(staged, "postgres"), user);
  if (stillBlocked) {
    throw new EmbeddedPostgresError(
      `[embedded-postgres] the postgres user can reach neither ${bins.nativeDir} (${blocked} is private) nor the copy in ${staged.nativeDir} (${stillBlocked} is private): set TMPDIR to a folder it can reach, such as /tmp`,
    );
  }
  logger?.info(
    { from: bins.nativeDir, to: staged.nativeDir, blocked },
    "[embedded-postgres] the postgres user cannot reach the installed binaries; running a staged copy",
  );
  return staged;
}

/** Copies `bins` under `stageRoot` unless an identical copy we own is already there. */
export async function stageBinaries(
  bins: PostgresBinaries,
  stageRoot: string,
): Promise<PostgresBinaries> {
  const dest = path.join(
    stageRoot,
    `${BINARIES_STAGE_PREFIX}${bins.version}-${process.platform}-${process.arch}`,
  );
  const staged = { nativeDir: path.join(dest, "native"), version: bins.version };
  const wanted = await describeTree(bins.nativeDir);
  const found = await verify(dest, wanted);
  if (found === "ok") return staged;
  // A rename makes copies appear whole, so what fails verification is foreign or stale.
  if (found === "bad") await rm(dest, { recursive: true, force: true });
  const temp = await mkdtemp(`${dest}.tmp-`);
  try {
    const copy = path.join(temp, "native");
    await cp(bins.nativeDir, copy, { recursive: true, verbatimSymlinks: true });
    // Readable by all, writable by root only, whatever the install's umask was.
    for (const rel of await readdir(copy, { recursive: true })) {
      const info = await lstat(path.join(copy, rel));
      if (!info.isSymbolicLink()) await chmod(path.join(copy, rel), stagedMode(info.mode));
    }
    await chmod(temp, 0o755);
    await rename(temp, dest);
  } catch (err) {
    await rm(temp, { recursive: true, force: true });
    // Another process staged the same version first: fine if its copy verifies.
    if ((await verify(dest, wanted)) !== "ok") {
      throw new EmbeddedPostgresError(
        `[embedded-postgres] could not copy the Postgres binaries to ${dest} (${(err as Error).message}): free space there or set TMPDIR to another folder`,
        { cause: err },
      );
    }
  }
  return staged;
}

/** Relative path → type, size, mode and link target of every entry under `root`. */
async function describeTree(root: string): Promise<Map<string, string>> {
  const entries = new Map<string, string>();
  for (const rel of await readdir(root, { recursive: true })) {
    const full = path.join(root, rel);
    const info = await lstat(full);
    const link = info.isSymbolicLink() ? await readlink(full) : "";
    const mode = info.isSymbolicLink() ? "link" : stagedMode(info.mode).toString(8);
    entries.set(rel, `${mode} ${info.isDirectory() ? 0 : info.size} ${link}`);
  }
  return entries;
}

const stagedMode = (mode: number) => (mode & 0o111 ? 0o755 : 0o644);

/** "ok" when `dest` holds exactly `wanted`, every entry ours and writable by no one else. */
async function verify(dest: string, wanted: Map<string, string>): Promise<"ok" | "absent" | "bad"> {
  const top = await lstat(dest).catch(() => undefined);
  if (!top) return "absent";
  const ownedByUs = (info: { uid: number; mode: number }) =>
    info.uid === process.getuid?.() && (info.mode & 0o022) === 0;
  if (!top.isDirectory() || !ownedByUs(top)) return "bad";
  const native = path.join(dest, "native");
  const nativeInfo = await lstat(native).catch(() => undefined);
  if (!nativeInfo?.isDirectory() || !ownedByUs(nativeInfo)) return "bad";
  const found = await describeTree(native).catch(() => new Map<string, string>());
  if (found.size !== wanted.size) return "bad";
  for (const [rel, description] of wanted) {
    if (found.get(rel) !== description) return "bad";
    const info = await lstat(path.join(native, rel));
    if (!info.isSymbolicLink() && !ownedByUs(info)) return "bad";
  }
  return "ok";
}
