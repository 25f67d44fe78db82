import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { EmbeddedPostgresError } from "./embedded-postgres-error.ts";
import { type PostgresBinaries, binary } from "./postgres-binaries.ts";
import { serverEnv } from "./server-env.ts";
import type { ServerUser } from "./server-user.ts";
import { spawnFailure } from "./spawn-failure.ts";
import { WATCHDOG } from "./watchdog.ts";

export interface PostmasterOptions {
  bins: PostgresBinaries;
  pgdata: string;
  port: number;
  flags: string[];
  user: ServerUser | undefined;
  onLog?: (line: string) => void;
}

export interface Postmaster {
  pid: number;
  /** Fast shutdown: sessions end, the server checkpoints and exits. */
  stop(): Promise<void>;
}

const READY = "database system is ready to accept connections";
/** How long a fast shutdown may take before an immediate one (SIGQUIT; recovery on next start). */
const FAST_SHUTDOWN_GRACE_MS = 30_000;

/**
 * Starts the server on an initialised cluster under the watchdog shell (./watchdog.ts), in
 * its own session; resolves once it accepts connections.
 */
export function startPostmaster(options: PostmasterOptions): Promise<Postmaster> {
  const file = binary(options.bins, "postgres");
  const args = ["-D", options.pgdata, "-p", String(options.port), ...options.flags];
  const watchdog = spawn("/bin/sh", ["-c", WATCHDOG, "watchdog", file, ...args], {
    ...options.user,
    cwd: "/",
    env: serverEnv(),
    detached: true,
    stdio: ["pipe", "pipe", "pipe"],
  });
  // Writing nothing, we only learn of a closed pipe as an EPIPE on end(): nothing to do then.
  watchdog.stdin.on("error", () => undefined);
  const exited = new Promise<void>((resolve) => watchdog.once("close", () => resolve()));
  return new Promise((resolve, reject) => {
    let output = "";
    let pid: number | undefined;
    let ready = false;
    const settle = () => {
      if (ready || pid === undefined || !output.includes(READY)) return;
      ready = true;
      output = "";
      const postmaster = pid;
      resolve({ pid, stop: () => stop(postmaster) });
    };
    createInterface({ input: watchdog.stdout }).once("line", (line) => {
      pid = Number.parseInt(line, 10);
      settle();
    });
    watchdog.stderr.on("data", (chunk: Buffer) => {
      options.onLog?.(String(chunk).trimEnd());
      if (ready) return;
      output += String(chunk);
      settle();
    });
    watchdog.on("error", (err) => reject(spawnFailure(file, err)));
    watchdog.on("close", (code, signal) => {
      // The shell's own codes for a command it could not execute, or could not find.
      if (code === 126 || code === 127) {
        const err = Object.assign(new Error(output.trim()), {
          code: code === 126 ? "EACCES" : "ENOENT",
        });
        return reject(spawnFailure(file, err));
      }
      reject(new EmbeddedPostgresError(whyItStopped(options, output, code ?? signal)));
    });
  });

  async function stop(pid: number): Promise<void> {
    watchdog.stdin.end();
    const grace = new Promise<"late">((r) => setTimeout(r, FAST_SHUTDOWN_GRACE_MS, "late").unref());
    if ((await Promise.race([exited, grace])) === "late") {
      try {
        process.kill(pid, "SIGQUIT");
      } catch {
        // gone meanwhile
      }
      await exited;
    }
  }
}

function whyItStopped(options: PostmasterOptions, output: string, how: unknown): string {
  const prefix = `[embedded-postgres] the server in ${options.pgdata} did not start`;
  if (/could not bind|Address already in use/.test(output)) {
    return `${prefix}: port ${options.port} is in use, so set EMBEDDED_PG_PORT to a free one`;
  }
  if (output.includes('lock file "postmaster.pid" already exists')) {
    return `${prefix}: another server runs on that cluster (see ${options.pgdata}/postmaster.pid), so stop it first`;
  }
  const last = output.trim().split("\n").pop() ?? "";
  return `${prefix} (exit ${String(how)}: ${last}): run with LOG_LEVEL=debug for the server's own output`;
}
