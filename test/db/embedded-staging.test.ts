import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdir, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { EmbeddedPostgresError } from "../../src/db/embedded/embedded-postgres-error.ts";
import {
  type PostgresBinaries,
  binary,
  findPostgresBinaries,
} from "../../src/db/embedded/postgres-binaries.ts";
import { serverUser } from "../../src/db/embedded/server-user.ts";
import { reachableBinaries, stageBinaries } from "../../src/db/embedded/stage-binaries.ts";
import { collectingLogger } from "../support/collecting-logger.ts";
import { useTempDirs } from "../support/temp-dir.ts";

const tempDir = useTempDirs("stage");
const asRoot = process.getuid?.() === 0;

/** Runs a staged program the way the server is run: as the server user, from `/`. */
async function runAsServer(file: string, args: string[]) {
  const user = await serverUser();
  return spawnSync(file, args, { ...user, cwd: "/", encoding: "utf8" });
}

/** A stand-in for os.tmpdir(): a folder everyone may pass through. */
async function publicFolder(): Promise<string> {
  const dir = await tempDir();
  await chmod(dir, 0o755);
  return dir;
}

/** A tiny native/ tree whose `postgres` prints a marker, inside a private (0700) folder. */
async function fakeBinaries(): Promise<PostgresBinaries> {
  const nativeDir = path.join(await tempDir(), "pkg", "native");
  await mkdir(path.join(nativeDir, "bin"), { recursive: true });
  await writeFile(path.join(nativeDir, "bin", "postgres"), "#!/bin/sh\necho fake-postgres\n", {
    mode: 0o755,
  });
  return { nativeDir, version: "0.0.0-test" };
}

describe("staging the Postgres binaries", () => {
  it("copies the installed binaries to where the server user runs them, reuses a verified copy and replaces a tampered one", async () => {
    const root = await publicFolder();
    const staged = await stageBinaries(await findPostgresBinaries(), root);
    expect(staged.nativeDir.startsWith(root)).toBe(true);
    const version = await runAsServer(binary(staged, "postgres"), ["--version"]);
    expect(version.stdout).toMatch(/^postgres \(PostgreSQL\) 17\./);

    // Verification looks at native/ only: a marker beside it survives reuse, not a new copy.
    const marker = path.join(path.dirname(staged.nativeDir), "marker");
    await writeFile(marker, "");
    await stageBinaries(await findPostgresBinaries(), root);
    expect(existsSync(marker)).toBe(true);

    const lib = path.join(staged.nativeDir, "lib", "libpq.so.5.17");
    await chmod(lib, 0o666);
    await stageBinaries(await findPostgresBinaries(), root);
    expect(existsSync(marker)).toBe(false);
    expect((await stat(lib)).mode & 0o777).toBe(0o755);
    expect((await runAsServer(binary(staged, "postgres"), ["--version"])).status).toBe(0);
  }, 60_000);

  it("stages binaries in a private folder only when the server user cannot reach them (as root), and logs where", async () => {
    const bins = await fakeBinaries();
    const root = await publicFolder();
    const { logger, records } = collectingLogger();
    const used = await reachableBinaries(bins, await serverUser(), logger, root);
    if (asRoot) {
      expect(used.nativeDir.startsWith(root)).toBe(true);
      expect(records()).toEqual([
        expect.objectContaining({ from: bins.nativeDir, to: used.nativeDir }),
      ]);
    } else {
      expect(used).toEqual(bins);
    }
    expect((await runAsServer(binary(used, "postgres"), [])).stdout).toBe("fake-postgres\n");

    await chmod(path.dirname(path.dirname(bins.nativeDir)), 0o755);
    expect(await reachableBinaries(bins, await serverUser(), logger, root)).toEqual(bins);
  });

  it("says in one sentence what to do when the staging folder is private too", async () => {
    const bins = await fakeBinaries();
    const privateRoot = await tempDir();
    const attempt = reachableBinaries(bins, await serverUser(), undefined, privateRoot);
    if (asRoot) {
      await expect(attempt).rejects.toThrow(EmbeddedPostgresError);
      await expect(attempt).rejects.toThrow(/set TMPDIR to a folder it can reach/);
    } else {
      await expect(attempt).resolves.toEqual(bins);
    }
  });
});
