import { EmbeddedPostgresError } from "../src/db/embedded-postgres.ts";

/** A problem the person running a script can fix: its message says how. */
export class ScriptError extends Error {
  override name = "ScriptError";
}

/** Runs a script's body; a problem they can fix prints its one sentence and exits 1, no stack. */
export async function runScript(main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (err) {
    if (!(err instanceof EmbeddedPostgresError || err instanceof ScriptError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
}
