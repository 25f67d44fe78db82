import { existsSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { startServiceProcess } from "../support/service-process.ts";
import { useTempDirs } from "../support/temp-dir.ts";

const tempDir = useTempDirs("config");

/** The service entry point; Supabase and Inngest settings blank unless given. */
async function startWith(env: Record<string, string>) {
  const dataDir = path.join(await tempDir(), "data");
  const service = startServiceProcess({
    SUPABASE_JWT_SECRET: "",
    INNGEST_SIGNING_KEY: "",
    INNGEST_EVENT_KEY: "",
    INNGEST_DEV: "",
    INNGEST_SERVE_ORIGIN: "",
    GITHUB_APP_ID: "",
    GITHUB_APP_PRIVATE_KEY: "",
    GITHUB_WEBHOOK_SECRET: "",
    EMBEDDED_PG_DIR: dataDir,
    ...env,
  });
  const code = await service.exited;
  return { code, output: service.output(), dataDir };
}

describe("configuration refused before anything starts", () => {
  it("exits 78 in production naming each missing variable and refusing dev mode, before touching Postgres", async () => {
    const { code, output, dataDir } = await startWith({ NODE_ENV: "production", INNGEST_DEV: "1" });
    expect(code).toBe(78);
    for (const name of [
      "INNGEST_DEV",
      "INNGEST_SIGNING_KEY",
      "INNGEST_EVENT_KEY",
      "INNGEST_SERVE_ORIGIN",
      "GITHUB_APP_ID",
      "GITHUB_APP_PRIVATE_KEY",
      "GITHUB_WEBHOOK_SECRET",
      "SUPABASE_JWT_SECRET",
      "DATABASE_URL",
    ]) {
      expect(output).toMatch(new RegExp(`^\\s+${name} `, "m"));
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
