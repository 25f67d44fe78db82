import { existsSync } from "node:fs";
import { chmod, mkdir, readlink, realpath, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { DATA_STAGE_ROOT, clusterDir } from "../../src/db/embedded/cluster-dir.ts";
import { EmbeddedPostgresError } from "../../src/db/embedded/embedded-postgres-error.ts";
import { initCluster } from "../../src/db/embedded/initdb.ts";
import { startPostmaster } from "../../src/db/embedded/postmaster.ts";
import { serverUser } from "../../src/db/embedded/server-user.ts";
import { collectingLogger } from "../support/collecting-logger.ts";
import { useTempDirs } from "../support/temp-dir.ts";

const tempDir = useTempDirs("cluster");
const asRoot = process.getuid?.() === 0;

describe("where the cluster of a data folder lives", () => {
  it("stages the cluster of a data folder the postgres user cannot reach (as root), linked from dir/pg, and finds it again", async () => {
    const dir = path.join(await tempDir(), "data");
    await mkdir(dir, { mode: 0o711 });
    const { logger, records } = collectingLogger();
    const cluster = await clusterDir(dir, await serverUser(), logger);
    if (!asRoot) {
      expect(cluster).toBe(path.join(dir, "pg"));
      return;
    }
    expect(path.dirname(path.dirname(cluster))).toBe(DATA_STAGE_ROOT);
    expect(await readlink(path.join(dir, "pg"))).toBe(cluster);
    expect(records()).toEqual([expect.objectContaining({ dir, cluster })]);

    await mkdir(cluster, { recursive: true });
    await writeFile(path.join(cluster, "PG_VERSION"), "17\n");
    expect(await clusterDir(dir, await serverUser())).toBe(cluster);
    expect(existsSync(path.join(cluster, "PG_VERSION"))).toBe(true);
  });

  it("keeps a reachable data folder's cluster in dir/pg", async () => {
    const dir = path.join(await tempDir(), "data");
    await mkdir(dir);
    await chmod(path.dirname(dir), 0o711);
    expect(await clusterDir(dir, await serverUser())).toBe(path.join(dir, "pg"));
  });

  it("refuses, in one sentence naming the fix, a cluster already in an unreachable dir/pg (as root)", async () => {
    const dir = path.join(await tempDir(), "data");
    await mkdir(path.join(dir, "pg"), { recursive: true });
    const found = clusterDir(dir, await serverUser());
    if (!asRoot) return expect(found).resolves.toBe(path.join(dir, "pg"));
    await expect(found).rejects.toThrow(EmbeddedPostgresError);
    await expect(found).rejects.toThrow(
      `cannot reach the cluster in ${path.join(dir, "pg")} because ${await realpath(path.dirname(dir))} is private: run \`chmod o+x`,
    );
  });
});

describe("spawning initdb and the server", () => {
  it("turns a binary that cannot be executed into an EmbeddedPostgresError, never an unhandled 'error' event", async () => {
    const base = await tempDir();
    const nativeDir = path.join(base, "native");
    await mkdir(path.join(nativeDir, "bin"), { recursive: true });
    for (const name of ["postgres", "initdb"]) {
      await writeFile(path.join(nativeDir, "bin", name), "#!/bin/sh\n", { mode: 0o644 });
    }
    const bins = { nativeDir, version: "0.0.0-test" };
    const user = await serverUser();
    const pgdata = path.join(base, "pg");
    const start = startPostmaster({ bins, pgdata, port: 1, flags: [], user });
    await expect(start).rejects.toThrow(EmbeddedPostgresError);
    await expect(start).rejects.toThrow(/could not run .*\/bin\/postgres \(EACCES\)/);
    const init = initCluster({
      bins,
      pgdata,
      superuser: "postgres",
      password: "x".repeat(20),
      user,
    });
    await expect(init).rejects.toThrow(/could not run .*\/bin\/initdb \(EACCES\)/);
  });
});
