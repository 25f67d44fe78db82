import { z } from "zod";

/**
 * True for an origin exactly as a browser sends it in `Origin`: http(s), lower-case
 * host, no default port, no path, query or trailing slash. Anything else could never
 * match a request, so it is refused at start rather than silently ignored.
 */
export function isWebOrigin(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  return (url.protocol === "http:" || url.protocol === "https:") && url.origin === value;
}

/** `CORS_ORIGINS`: a comma-separated list, trimmed, empty entries dropped; none by default. */
export const corsOrigins = z
  .string()
  .optional()
  .transform((v) =>
    (v ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
  )
  .pipe(
    z.array(
      z.string().refine(isWebOrigin, {
        message:
          "each entry must be an exact http(s) origin such as https://app.example.com (scheme, lower-case host, optional port; no path, query, trailing slash or *)",
      }),
    ),
  );
