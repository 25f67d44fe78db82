import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll } from "vitest";

/** Every temporary folder a test makes starts with this, so leftovers can be found. */
export const TEMP_PREFIX = "cfj-";

/**
 * `tempDir()` makes a fresh 0700 folder, removed after the calling file's tests,
 * whether they passed or not.
 */
export function useTempDirs(name: string): () => Promise<string> {
  const made: string[] = [];
  afterAll(async () => {
    for (const dir of made.splice(0)) await rm(dir, { recursive: true, force: true });
  });
  return async () => {
    const dir = await mkdtemp(path.join(tmpdir(), `${TEMP_PREFIX}${name}-`));
    made.push(dir);
    return dir;
  };
}

/** Test folders created since `sinceMs` that still exist. */
export async function leftoverTempDirs(sinceMs: number): Promise<string[]> {
  const left: string[] = [];
  for (const entry of await readdir(tmpdir())) {
    if (!entry.startsWith(TEMP_PREFIX)) continue;
    const full = path.join(tmpdir(), entry);
    const info = await stat(full).catch(() => undefined);
    if (info && info.birthtimeMs >= sinceMs) left.push(full);
  }
  return left;
}
