import type { ContentfulStatusCode } from "hono/utils/http-status";

/**
 * An action's own refusal, sent to the client as `{ error: code, message }`.
 * Unlike any other error, its message IS meant for the client: write it so.
 */
export class ActionError extends Error {
  override name = "ActionError";
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    readonly publicMessage?: string,
  ) {
    super(publicMessage ?? code);
    // A 2xx/3xx "error" would tell the client the call worked.
    if (status < 400 || status > 599)
      throw new RangeError(`[actions] ActionError status must be 4xx or 5xx, got ${status}`);
  }
}
