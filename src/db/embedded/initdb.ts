import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chown, mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { EmbeddedPostgresError } from "./embedded-postgres-error.ts";
import { type PostgresBinaries, binary } from "./postgres-binaries.ts";
import { serverEnv } from "./server-env.ts";
import type { ServerUser } from "./server-user.ts";
import { spawnFailure } from "./spawn-failure.ts";

export interface InitOptions {
  bins: PostgresBinaries;
  pgdata: string;
  superuser: string;
  password: string;
  user: ServerUser | undefined;
  onLog?: (line: string) => void;
}

/** Creates a cluster in `pgdata`, replacing a half-made one from an interrupted first start. */
export async function initCluster(options: InitOptions): Promise<void> {
  const { pgdata, user } = options;
  await rm(pgdata, { recursive: true, force: true });
  await mkdir(pgdata, { mode: 0o700 });
  // Beside pgdata (initdb wants it empty), readable by the server user only, removed after.
  const pwfile = path.join(path.dirname(pgdata), `.pwfile-${randomBytes(6).toString("hex")}`);
  await writeFile(pwfile, `${options.password}\n`, { mode: 0o600, flag: "wx" });
  try {
    if (user) {
      await chown(pgdata, user.uid, user.gid);
      await chown(pwfile, user.uid, user.gid);
    }
    await run(
      binary(options.bins, "initdb"),
      [
        `--pgdata=${pgdata}`,
        "--auth=scram-sha-256",
        `--username=${options.superuser}`,
        `--pwfile=${pwfile}`,
        "--encoding=UTF8",
        "--locale=C",
        "--no-instructions",
      ],
      options,
    );
  } finally {
    await rm(pwfile, { force: true });
  }
}

function run(file: string, args: string[], options: InitOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      ...options.user,
      cwd: "/",
      env: serverEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const collect = (chunk: Buffer) => {
      output += String(chunk);
      options.onLog?.(String(chunk).trimEnd());
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    child.on("error", (err) => reject(spawnFailure(file, err)));
    child.on("close", (code, signal) => {
      if (code === 0) return resolve();
      const last = output.trim().split("\n").pop() ?? "";
      reject(
        new EmbeddedPostgresError(
          `[embedded-postgres] initdb failed (${code ?? signal}) for ${options.pgdata}: ${last}`,
        ),
      );
    });
  });
}
