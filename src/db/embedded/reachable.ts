import { realpath, stat } from "node:fs/promises";
import path from "node:path";
import type { ServerUser } from "./server-user.ts";

interface Owned {
  mode: number;
  uid: number;
  gid: number;
}

/**
 * Whether `user` may pass through (search, x) a folder: the kernel picks the owner, then the
 * group, then the other bits. Only the primary group counts: a process spawned with a uid
 * loses its supplementary groups (libuv calls setgroups(0, NULL)). ACLs are not read.
 */
export function canTraverse(folder: Owned, user: ServerUser): boolean {
  if (user.uid === 0) return true;
  if (folder.uid === user.uid) return (folder.mode & 0o100) !== 0;
  if (folder.gid === user.gid) return (folder.mode & 0o010) !== 0;
  return (folder.mode & 0o001) !== 0;
}

/**
 * The first folder on the real path to `target` (symlinks resolved, `target` itself
 * excluded) that `user` cannot pass through, or undefined when every one lets it through.
 * `target` may not exist yet; its nearest existing ancestor is resolved.
 */
export async function firstBlockedFolder(
  target: string,
  user: ServerUser,
): Promise<string | undefined> {
  const parent = await realpathOfNearest(path.dirname(path.resolve(target)));
  const chain: string[] = [];
  for (let p = parent; ; p = path.dirname(p)) {
    chain.unshift(p);
    if (path.dirname(p) === p) break;
  }
  for (const folder of chain) {
    const info = await stat(folder).catch(() => undefined);
    if (info && !canTraverse(info, user)) return folder;
  }
  return undefined;
}

async function realpathOfNearest(p: string): Promise<string> {
  try {
    return await realpath(p);
  } catch {
    const up = path.dirname(p);
    return up === p ? p : path.join(await realpathOfNearest(up), path.basename(p));
  }
}
