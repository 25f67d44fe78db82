import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";

/** How long a browser may reuse a preflight answer. */
export const CORS_MAX_AGE_SECONDS = 600;

/**
 * CORS for browser callers of the server actions. A listed origin is echoed (never
 * `*`); credentials are not allowed, because actions authenticate with a bearer token,
 * not cookies. Any other origin, a request without one, and an OPTIONS that is not a
 * preflight pass through untouched, exactly as with CORS off (an OPTIONS then answers 405).
 */
export function actionsCors(origins: readonly string[]): MiddlewareHandler {
  const allowed = new Set(origins);
  const honoCors = cors({
    origin: (origin) => (allowed.has(origin) ? origin : null),
    allowMethods: ["POST"],
    allowHeaders: ["authorization", "content-type"],
    exposeHeaders: ["retry-after", "x-request-id"],
    maxAge: CORS_MAX_AGE_SECONDS,
    credentials: false,
  });
  return async (c, next) => {
    const origin = c.req.header("origin");
    const preflight =
      c.req.method === "OPTIONS" && c.req.header("access-control-request-method") !== undefined;
    if (origin !== undefined && allowed.has(origin) && (preflight || c.req.method !== "OPTIONS"))
      return honoCors(c, next);
    await next();
    // The answer depends on Origin (another origin would get CORS headers): keep caches apart.
    c.header("vary", "Origin", { append: true });
  };
}
