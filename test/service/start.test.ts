import { existsSync } from "node:fs";
import { mkdir, readlink } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { DATA_STAGE_ROOT } from "../../src/db/embedded/cluster-dir.ts";
import { freePort } from "../../src/db/free-port.ts";
import { HEALTHY, healthz, startServiceProcess as start } from "../support/service-process.ts";
import { useTempDirs } from "../support/temp-dir.ts";

const tempDir = useTempDirs("start");
const asRoot = process.getuid?.() === 0;

describe("npm start on the embedded defaults", () => {
  it("serves /healthz on a fresh data folder inside a private folder, refuses a second instance, stops cleanly, and serves again after a restart", async () => {
    // Like `.data` in a clone under /root: the postgres user cannot pass the 0700 folder.
    const dir = path.join(await tempDir(), "data");
    const env = {
      EMBEDDED_PG_DIR: dir,
      EMBEDDED_PG_PORT: String(await freePort()),
      PORT: String(await freePort()),
    };
    const port = Number(env.PORT);

    const first = start(env);
    expect(await healthz(port)).toEqual(HEALTHY);
    if (asRoot) {
      expect(path.dirname(path.dirname(await readlink(path.join(dir, "pg"))))).toBe(
        DATA_STAGE_ROOT,
      );
      expect(first.output()).toContain(
        "the cluster lives in the staged folder its pg link points to",
      );
    }

    const second = start({ ...env, PORT: String(await freePort()) });
    expect(await second.exited).toBe(1);
    expect(second.output()).toContain("is in use by process");

    first.child.kill("SIGTERM");
    expect(await first.exited).toBe(0);
    expect(first.output()).toContain("[service] stopped");

    const again = start(env);
    try {
      expect(await healthz(port)).toEqual(HEALTHY);
      expect(again.output()).toMatch(/"applied":0/);
    } finally {
      again.child.kill("SIGINT");
      expect(await again.exited).toBe(0);
    }
  }, 90_000);

  it("stops with one sentence naming the fix, and no stack, when the postgres user cannot reach an existing cluster (as root)", async () => {
    const dir = path.join(await tempDir(), "data");
    await mkdir(path.join(dir, "pg"), { recursive: true });
    const port = await freePort();
    const run = start({
      EMBEDDED_PG_DIR: dir,
      EMBEDDED_PG_PORT: String(await freePort()),
      PORT: String(port),
    });
    if (!asRoot) {
      // Not root: the server runs as us and reaches the folder, so there is nothing to refuse.
      expect(await healthz(port)).toEqual(HEALTHY);
      run.child.kill("SIGTERM");
      expect(await run.exited).toBe(0);
      return;
    }
    expect(await run.exited).toBe(1);
    const records = run
      .output()
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { level: number; msg: string });
    // Info lines may come first (binaries staged when the clone itself is private).
    expect(records.filter((r) => r.level >= 50)).toEqual([
      {
        ...records.at(-1),
        level: 60,
        msg: expect.stringMatching(/cannot reach the cluster in .* is private: run `chmod o\+x /),
      },
    ]);
    expect(run.output()).not.toMatch(/"stack"|\n\s+at /);
    expect(existsSync(path.join(dir, "owner.pid"))).toBe(false);
  }, 30_000);

  it("fails at start with a message naming a malformed variable, without echoing its value", async () => {
    const run = start({
      PORT: "not-a-port",
      GITHUB_APP_ID: "123",
      GITHUB_APP_PRIVATE_KEY: "hunter2-not-a-key",
    });
    expect(await run.exited).toBe(78);
    expect(run.output()).toContain("PORT (HTTP port the service listens on)");
    expect(run.output()).not.toContain("hunter2");
  }, 30_000);
});
