import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";

export const ROOT = path.resolve(import.meta.dirname, "../..");

export interface ServiceProcess {
  child: ChildProcess;
  env: Record<string, string>;
  output: () => string;
  exited: Promise<number | null>;
}

/** `npm start`, minus npm and its shell: the same command and environment contract. */
export function startServiceProcess(env: Record<string, string>): ServiceProcess {
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: ROOT,
    env: serviceEnv(env),
    stdio: ["ignore", "pipe", "pipe"],
  });
  return watch(child, env);
}

/**
 * The real `npm start`, in its own process group (as a terminal would run it), so a test
 * can signal npm alone or the whole group.
 */
export function npmStart(env: Record<string, string>): ServiceProcess {
  const child = spawn("npm", ["start"], {
    cwd: ROOT,
    env: { ...serviceEnv(env), npm_config_update_notifier: "false" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  return watch(child, env);
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

function watch(child: ChildProcess, env: Record<string, string>): ServiceProcess {
  let out = "";
  child.stdout?.on("data", (d) => (out += d));
  child.stderr?.on("data", (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, env, output: () => out, exited };
}

/** Polls `check` until it holds; throws with `what` after `deadlineMs`. */
export async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  deadlineMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
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
