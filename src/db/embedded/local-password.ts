import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { EmbeddedPostgresError } from "./embedded-postgres-error.ts";

export const CREDENTIALS_FILE = "local-credentials.json";

/** The stored password of the data folder `dir`, if it has one. */
export async function storedPassword(dir: string): Promise<string | undefined> {
  try {
    const { password } = JSON.parse(await readFile(path.join(dir, CREDENTIALS_FILE), "utf8")) as {
      password?: unknown;
    };
    return typeof password === "string" && password.length >= 16 ? password : undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

/** A random password per data folder, readable only by its owner; never logged. */
export async function localPassword(dir: string, pgdata: string): Promise<string> {
  const stored = await storedPassword(dir);
  if (stored) return stored;
  const file = path.join(dir, CREDENTIALS_FILE);
  if (existsSync(path.join(pgdata, "PG_VERSION"))) {
    throw new EmbeddedPostgresError(
      `[embedded-postgres] ${file} is missing or unreadable but a cluster exists in ${pgdata}; restore the file or delete ${dir} to start fresh`,
    );
  }
  const password = randomBytes(24).toString("base64url");
  await writeFile(file, JSON.stringify({ password }), { mode: 0o600 });
  return password;
}
