import type { z } from "zod";

const MAX_ISSUES = 20;
const MAX_PATH_CHARS = 100;

/**
 * Dotted paths of the fields that failed, e.g. `["userId", "items.0.id"]`; the
 * body itself is `(body)`. Unknown keys are named one by one so a refused
 * `userId` shows up as "userId". Paths only: zod messages may quote input.
 */
export function inputIssues(error: z.ZodError): string[] {
  const paths = error.issues.flatMap((issue) =>
    issue.code === "unrecognized_keys"
      ? issue.keys.map((key) => [...issue.path, key])
      : [issue.path],
  );
  const rendered = paths.map((path) =>
    path.length === 0 ? "(body)" : path.map(String).join(".").slice(0, MAX_PATH_CHARS),
  );
  return [...new Set(rendered)].slice(0, MAX_ISSUES);
}
