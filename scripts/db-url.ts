import { type Env, databaseTarget } from "../src/config/env.ts";
import { type RunningPostgres, startEmbeddedPostgres } from "../src/db/embedded-postgres.ts";

/**
 * The database a maintenance script works on: DATABASE_URL, else the embedded
 * server (started for the duration of the script). Supabase projects apply
 * migrations with the Supabase CLI (`supabase db push`) or DATABASE_URL.
 */
export async function scriptDatabase(
  env: Env,
): Promise<{ url: string; embedded?: RunningPostgres }> {
  const target = databaseTarget(env);
  if (target.kind === "postgres") return { url: target.url };
  if (target.kind === "supabase") {
    throw new Error(
      "[db] set DATABASE_URL to the project's direct connection string (Supabase dashboard > Connect) to run this against Supabase",
    );
  }
  const embedded = await startEmbeddedPostgres({ dir: target.dir, port: target.port });
  return { url: embedded.url, embedded };
}
