import { mkdtemp, readFile, readdir, readlink, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll } from "vitest";
import { DATA_FOLDER_RECORD, DATA_STAGE_ROOT } from "../../src/db/embedded/cluster-dir.ts";

/**
 * Every temporary folder a test run makes starts with this, so its leftovers can be found
 * even while other checkouts on the machine run their tests (global-setup sets the run id;
 * test workers inherit it).
 */
export const tempPrefix = () => `cfj-${process.env.CFJ_TEST_RUN ?? "run"}-`;

/**
 * `tempDir()` makes a fresh 0700 folder, removed after the calling file's tests,
 * whether they passed or not (with any cluster staged for a data folder inside it).
 */
export function useTempDirs(name: string): () => Promise<string> {
  const made: string[] = [];
  afterAll(async () => {
    for (const dir of made.splice(0)) await removeTempDir(dir);
  });
  return async () => {
    const dir = await makeTempDir(name);
    made.push(dir);
    return dir;
  };
}

export function makeTempDir(name: string): Promise<string> {
  return mkdtemp(path.join(tmpdir(), `${tempPrefix()}${name}-`));
}

/**
 * Removes `dir` and the staged clusters its data folders link to: as root, a data folder
 * the postgres user cannot reach keeps its cluster under DATA_STAGE_ROOT (`<data>/pg` links there).
 */
export async function removeTempDir(dir: string): Promise<void> {
  for (const link of await pgLinks(dir, 3)) {
    const target = path.resolve(path.dirname(link), await readlink(link));
    if (target.startsWith(`${DATA_STAGE_ROOT}/`)) {
      await rm(path.dirname(target), { recursive: true, force: true });
    }
  }
  await rm(dir, { recursive: true, force: true });
}

async function pgLinks(dir: string, depth: number): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const found: string[] = [];
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isSymbolicLink() && entry.name === "pg") found.push(full);
    else if (entry.isDirectory() && depth > 1) found.push(...(await pgLinks(full, depth - 1)));
  }
  return found;
}

/** This run's test folders, and clusters staged for data folders in them, that still exist. */
export async function leftoverTempDirs(): Promise<string[]> {
  const ours = path.join(tmpdir(), tempPrefix());
  const left = (await readdir(tmpdir()))
    .map((entry) => path.join(tmpdir(), entry))
    .filter((full) => full.startsWith(ours));
  for (const home of await readdir(DATA_STAGE_ROOT).catch(() => [])) {
    const record = path.join(DATA_STAGE_ROOT, home, DATA_FOLDER_RECORD);
    const source = await readFile(record, "utf8").catch(() => "");
    if (source.startsWith(ours)) left.push(path.join(DATA_STAGE_ROOT, home));
  }
  return left;
}
