import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { freePort } from "../../src/db/free-port.ts";
import { useTempDirs } from "../support/temp-dir.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
const TSX = path.join(ROOT, "node_modules/tsx/dist/cli.mjs");

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** `npm start`, minus npm: the same entry point and environment contract. */
function start(env: Record<string, string>): Started {
  const child = spawn(process.execPath, [TSX, "src/main.ts"], {
    cwd: ROOT,
    // Empty values shadow a developer's .env (loadEnvFile never overrides what is set).
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      LOG_LEVEL: "info",
      DATABASE_URL: "",
      SUPABASE_URL: "",
      SUPABASE_SERVICE_ROLE_KEY: "",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function healthz(
  port: number,
  deadlineMs = 30_000,
): Promise<{ status: number; body: unknown }> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      return { status: res.status, body: await res.json() };
    } catch (err) {
      if (Date.now() > until) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

const tempDir = useTempDirs("start");

describe("npm start on the embedded defaults", () => {
  it("serves /healthz on a fresh data folder, refuses a second instance, stops cleanly, and serves again after a restart", async () => {
    const dir = await tempDir();
    const env = {
      EMBEDDED_PG_DIR: dir,
      EMBEDDED_PG_PORT: String(await freePort()),
      PORT: String(await freePort()),
    };
    const port = Number(env.PORT);

    const first = start(env);
    expect(await healthz(port)).toEqual({
      status: 200,
      body: { status: "ok", database: "ok", transport: "sql" },
    });

    const second = start({ ...env, PORT: String(await freePort()) });
    expect(await second.exited).toBe(1);
    expect(second.output()).toContain("is in use by process");

    first.child.kill("SIGTERM");
    expect(await first.exited).toBe(0);
    expect(first.output()).toContain("[service] stopped");

    const again = start(env);
    try {
      expect(await healthz(port)).toEqual({
        status: 200,
        body: { status: "ok", database: "ok", transport: "sql" },
      });
      expect(again.output()).toMatch(/"applied":0/);
    } finally {
      again.child.kill("SIGINT");
      expect(await again.exited).toBe(0);
    }
  }, 90_000);

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
