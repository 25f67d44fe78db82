import { spawn } from "node:child_process";
import { EmbeddedPostgresError } from "./embedded-postgres-error.ts";
import { type PostgresBinaries, binary } from "./postgres-binaries.ts";
import { serverEnv } from "./server-env.ts";
import type { ServerUser } from "./server-user.ts";
import { spawnFailure } from "./spawn-failure.ts";

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
  /** Fast shutdown (SIGINT): open sessions are ended, the server exits once it has checkpointed. */
  stop(): Promise<void>;
}

const READY = "database system is ready to accept connections";

/** Starts the server on an initialised cluster; resolves once it accepts connections. */
export function startPostmaster(options: PostmasterOptions): Promise<Postmaster> {
  const file = binary(options.bins, "postgres");
  const child = spawn(file, ["-D", options.pgdata, "-p", String(options.port), ...options.flags], {
    ...options.user,
    cwd: "/",
    env: serverEnv(),
    stdio: ["ignore", "ignore", "pipe"],
  });
  const exited = new Promise<void>((resolve) => child.once("close", () => resolve()));
  return new Promise((resolve, reject) => {
    let output = "";
    let ready = false;
    child.stderr.on("data", (chunk: Buffer) => {
      options.onLog?.(String(chunk).trimEnd());
      if (ready) return;
      output += String(chunk);
      if (!output.includes(READY) || child.pid === undefined) return;
      ready = true;
      const pid = child.pid;
      resolve({
        pid,
        async stop() {
          if (child.exitCode === null && child.signalCode === null) child.kill("SIGINT");
          await exited;
        },
      });
    });
    child.on("error", (err) => reject(spawnFailure(file, err)));
    child.on("close", (code, signal) =>
      reject(new EmbeddedPostgresError(whyItStopped(options, output, code ?? signal))),
    );
  });
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
