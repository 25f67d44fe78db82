/**
 * The environment of initdb and the server: English messages (start-up is detected by one)
 * and nothing else of ours, since the service's secrets would be readable in
 * /proc/<pid>/environ by the postgres user.
 */
export function serverEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { LC_MESSAGES: "C" };
  for (const name of ["PATH", "TZ"]) if (process.env[name]) env[name] = process.env[name];
  return env;
}
