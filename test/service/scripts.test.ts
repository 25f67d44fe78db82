import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { freePort } from "../../src/db/free-port.ts";
import { MIGRATIONS_DIR } from "../../src/db/migrate.ts";
import {
  HEALTHY,
  ROOT,
  healthz,
  serviceEnv,
  startServiceProcess,
} from "../support/service-process.ts";
import { useTempDirs } from "../support/temp-dir.ts";

const tempDir = useTempDirs("scripts");

/** `npm run <script>` with the service's environment contract; its exit code and output. */
function npmRun(script: string, env: Record<string, string>) {
  const child = spawn("npm", ["run", "--silent", script], {
    cwd: ROOT,
    env: { ...serviceEnv(env), npm_config_update_notifier: "false" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  return new Promise<{ code: number | null; output: string }>((resolve) =>
    child.on("close", (code) => resolve({ code, output: out })),
  );
}

describe("db:migrate and db:seed beside the service", () => {
  it("use the server a running service holds, which keeps serving and stops cleanly after", async () => {
    const dir = path.join(await tempDir(), "data");
    const port = await freePort();
    const env = {
      EMBEDDED_PG_DIR: dir,
      EMBEDDED_PG_PORT: String(await freePort()),
      PORT: String(port),
    };
    // No service yet: the script runs its own server and leaves the folder unlocked.
    const alone = await npmRun("db:migrate", env);
    const migrations = (await readdir(MIGRATIONS_DIR)).filter((f) => f.endsWith(".sql")).length;
    expect(alone).toMatchObject({
      code: 0,
      output: expect.stringContaining(`${migrations} applied, 0 already applied`),
    });
    expect(existsSync(path.join(dir, "owner.pid"))).toBe(false);

    const service = startServiceProcess(env);
    expect(await healthz(port)).toEqual(HEALTHY);
    const owner = `using the embedded server of process ${service.child.pid}`;

    const seed = await npmRun("db:seed", env);
    expect(seed).toEqual({ code: 0, output: expect.stringContaining(owner) });
    expect(seed.output).toContain("octo-ada: 12 open recommendations");
    const migrate = await npmRun("db:migrate", env);
    expect(migrate).toEqual({ code: 0, output: expect.stringContaining("0 applied") });

    expect(await healthz(port)).toEqual(HEALTHY);
    service.child.kill("SIGTERM");
    expect(await service.exited).toBe(0);
    expect(service.output()).toContain("[service] stopped");
  }, 90_000);

  it("say in one sentence what to do, without a stack, when the folder's holder has no server", async () => {
    const dir = path.join(await tempDir(), "data");
    await mkdir(dir, { recursive: true });
    // A live process (this test) holds the lock, but no Postgres runs on the folder.
    await writeFile(path.join(dir, "owner.pid"), String(process.pid));
    const run = await npmRun("db:seed", {
      EMBEDDED_PG_DIR: dir,
      EMBEDDED_PG_PORT: String(await freePort()),
    });
    expect(run.code).toBe(1);
    expect(run.output.trim().split("\n")).toEqual([
      `[embedded-postgres] ${dir} is held by process ${process.pid}, which has no database server ready on it: wait until it has started (or stop it), then run this again`,
    ]);
  }, 30_000);
});
