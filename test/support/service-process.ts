import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";

export const ROOT = path.resolve(import.meta.dirname, "../..");
const TSX = path.join(ROOT, "node_modules/tsx/dist/cli.mjs");

export interface ServiceProcess {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** `npm start`, minus npm: the same entry point and environment contract. */
export function startServiceProcess(env: Record<string, string>): ServiceProcess {
  const child = spawn(process.execPath, [TSX, "src/main.ts"], {
    cwd: ROOT,
    env: serviceEnv(env),
    stdio: ["ignore", "pipe", "pipe"],
  });
  return watch(child);
}

/** Empty values shadow a developer's .env (loadEnvFile never overrides what is set). */
export function serviceEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "",
    LOG_LEVEL: "info",
    DATABASE_URL: "",
    SUPABASE_URL: "",
    SUPABASE_SERVICE_ROLE_KEY: "",
    ...env,
  };
}

export function watch(child: ChildProcess): ServiceProcess {
  let out = "";
  child.stdout?.on("data", (d) => (out += d));
  child.stderr?.on("data", (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, output: () => out, exited };
}

export async function healthz(
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

export const HEALTHY = {
  status: 200,
  body: { status: "ok", database: "ok", transport: "sql" },
};
