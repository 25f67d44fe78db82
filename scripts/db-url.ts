import { type Env, databaseTarget } from "../src/config/env.ts";
import {
  EmbeddedPostgresError,
  type RunningPostgres,
  startEmbeddedPostgres,
} from "../src/db/embedded-postgres.ts";
import { runningServer } from "../src/db/embedded/running-server.ts";
import { ScriptError } from "./run-script.ts";

/**
 * The database a maintenance script works on: DATABASE_URL, else the embedded server —
 * the one a running service (or script) holds, or one started for the duration of the
 * script. Supabase projects apply migrations with the Supabase CLI or DATABASE_URL.
 */
export async function scriptDatabase(
  env: Env,
): Promise<{ url: string; embedded?: RunningPostgres }> {
  const target = databaseTarget(env);
  if (target.kind === "postgres") return { url: target.url };
  if (target.kind === "supabase") {
    throw new ScriptError(
      "[db] set DATABASE_URL to the project's direct connection string (Supabase dashboard > Connect) to run this against Supabase",
    );
  }
  for (let attempt = 0; ; attempt++) {
    const running = await runningServer(target.dir);
    if (running) {
      console.log(`using the embedded server of process ${running.owner} (port ${running.port})`);
      return { url: running.url };
    }
    try {
      const embedded = await startEmbeddedPostgres({ dir: target.dir, port: target.port });
      return { url: embedded.url, embedded };
    } catch (err) {
      // Another process took the folder since we looked: use its server instead.
      const taken =
        err instanceof EmbeddedPostgresError && /is in use by process/.test(err.message);
      if (!taken || attempt > 0) throw err;
    }
  }
}
