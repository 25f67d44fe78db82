import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { useTempDirs } from "../support/temp-dir.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
const TSX = path.join(ROOT, "node_modules/tsx/dist/cli.mjs");
const tempDir = useTempDirs("config");

/** The service entry point with exactly `env` (empty values shadow a developer's .env). */
async function startWith(env: Record<string, string>) {
  const dir = await tempDir();
  const dataDir = path.join(dir, "data");
  const child = spawn(process.execPath, [TSX, "src/main.ts"], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      DATABASE_URL: "",
      SUPABASE_URL: "",
      SUPABASE_SERVICE_ROLE_KEY: "",
      SUPABASE_JWT_SECRET: "",
      INNGEST_SIGNING_KEY: "",
      INNGEST_EVENT_KEY: "",
      INNGEST_DEV: "",
      EMBEDDED_PG_DIR: dataDir,
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  return { code, output, dataDir };
}

describe("configuration refused before anything starts", () => {
  it("exits 78 in production naming each missing variable, before touching Postgres", async () => {
    const { code, output, dataDir } = await startWith({ NODE_ENV: "production" });
    expect(code).toBe(78);
    for (const name of [
      "INNGEST_SIGNING_KEY",
      "INNGEST_EVENT_KEY",
      "INNGEST_SERVE_ORIGIN",
      "SUPABASE_JWT_SECRET",
      "DATABASE_URL",
    ]) {
      expect(output).toContain(name);
    }
    expect(output).not.toMatch(/\n\s+at /); // no stack
    expect(existsSync(dataDir)).toBe(false);
  });

  it("exits 78 when bound beyond loopback without a signing key, saying what to set", async () => {
    const { code, output, dataDir } = await startWith({ HOST: "0.0.0.0" });
    expect(code).toBe(78);
    expect(output).toMatch(/INNGEST_SIGNING_KEY.*not a loopback address/);
    expect(output).not.toMatch(/\n\s+at /);
    expect(existsSync(dataDir)).toBe(false);
  });
});
