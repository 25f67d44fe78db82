import { randomUUID } from "node:crypto";
import type { Context, Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { Logger } from "pino";
import { z } from "zod";
import { SessionError } from "../../auth/session-error.ts";
import type { Session, SessionVerifier } from "../../auth/session.ts";
import { childLogger } from "../../log/logger.ts";
import { dropServerControlledFields } from "../../security/server-controlled-fields.ts";
import { bearerToken } from "./bearer-token.ts";
import type { ActionDefinition } from "./define-action.ts";
import { errorResponse } from "./error-response.ts";
import { inputIssues } from "./input-issues.ts";
import { readJsonBody } from "./read-json-body.ts";

export interface ActionsDeps {
  verifier: SessionVerifier;
  /** Keyed by the kebab-case name in the URL. */
  actions: Record<string, ActionDefinition>;
  logger: Logger;
  basePath?: string;
}

export const MAX_BODY_BYTES = 16 * 1024;
const HUMAN_ONLY = {
  error: "human_only",
  message: "a person must do this: sign in and do it yourself; automation keys cannot",
};
const ACTION_NAME = /^[a-z][a-z0-9-]*$/;
// A caller's id is reused only when it cannot smuggle anything into a log line.
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

interface Outcome {
  status: ContentfulStatusCode;
  body: unknown;
  headers?: Record<string, string>;
  userId?: string;
  /** An API key's id (never the key), for tracing an automation's calls. */
  apiKeyId?: number;
  reason?: string;
  err?: unknown;
}

/**
 * `POST <basePath>/<name>`: 404 unknown action, 405 other methods, 401 bad
 * token, 503 credentials that cannot be checked now, 429 an API key over its
 * rate, 403 an API-key session on a human-only action, 413 / 400 bad body (after
 * dropping server-controlled keys such as `userId`), then the action. The action runs
 * only after the token verified and the input parsed; its errors map to codes, never
 * messages.
 */
export function registerActions(app: Hono, deps: ActionsDeps): void {
  // A Map, so `constructor` or `__proto__` in the URL can never find an Object.prototype member.
  const actions = new Map(Object.entries(deps.actions));
  for (const [name, def] of actions) assertRegistrable(name, def);
  const basePath = (deps.basePath ?? "/api/actions").replace(/\/+$/, "");

  app.all(`${basePath}/:name`, async (c) => {
    const started = performance.now();
    const incomingId = c.req.header("x-request-id");
    const requestId = incomingId && REQUEST_ID.test(incomingId) ? incomingId : randomUUID();
    const name = c.req.param("name");
    const def = actions.get(name);
    const outcome = def
      ? await dispatch(c, deps, name, def, requestId)
      : { status: 404 as const, body: { error: "not_found" } };
    if (outcome.status === 500) outcome.body = { error: "internal_error", requestId };

    const line = {
      requestId,
      action: def ? name : name.slice(0, 64),
      userId: outcome.userId,
      apiKeyId: outcome.apiKeyId,
      status: outcome.status,
      reason: outcome.reason,
      durationMs: Math.round(performance.now() - started),
    };
    if (outcome.status >= 500) deps.logger.error({ ...line, err: outcome.err }, "[actions] call");
    else deps.logger.info(line, "[actions] call");

    const headers = { "cache-control": "no-store", "x-request-id": requestId, ...outcome.headers };
    return c.json(outcome.body as object, outcome.status, headers);
  });
}

async function dispatch(
  c: Context,
  deps: ActionsDeps,
  name: string,
  def: ActionDefinition,
  requestId: string,
): Promise<Outcome> {
  if (c.req.method !== "POST")
    return { status: 405, body: { error: "method_not_allowed" }, headers: { allow: "POST" } };

  let session: Session;
  try {
    session = await deps.verifier.verify(bearerToken(c.req.header("authorization")) ?? "");
  } catch (err) {
    if (!(err instanceof SessionError)) return { status: 500, body: null, err };
    // Our outage (JWKS, the API-key store) must not read as "your session is invalid"
    // (clients would sign the user out), nor let anyone in.
    if (err.code === "keys_unavailable" || err.code === "key_store_unavailable")
      return {
        status: 503,
        body: { error: "auth_unavailable" },
        headers: { "retry-after": "5" },
        reason: err.code,
      };
    if (err.code === "rate_limited")
      return {
        status: 429,
        body: { error: "rate_limited", message: "too many requests with this API key" },
        headers: { "retry-after": String(err.retryAfterSeconds ?? 60) },
        reason: err.code,
      };
    return {
      status: 401,
      body: { error: "unauthorized", reason: err.code },
      headers: { "www-authenticate": 'Bearer error="invalid_token"' },
      reason: err.code,
    };
  }
  const userId = session.userId;
  const who = { userId, ...(session.apiKeyId ? { apiKeyId: session.apiKeyId } : {}) };
  // Fail closed: anything but a verified person is refused here, before the body is read.
  if (def.humanOnly && session.actorSource !== "human")
    return { status: 403, body: HUMAN_ONLY, reason: "human_only", ...who };

  const body = await readJsonBody(c, MAX_BODY_BYTES).catch(() => ({
    kind: "malformed" as const,
  }));
  if (body.kind === "too_large")
    return { status: 413, body: { error: "payload_too_large" }, ...who };
  if (body.kind === "malformed")
    return {
      status: 400,
      body: { error: "invalid_input", reason: "malformed_json", issues: [] },
      ...who,
    };
  // The session is the only source of who is calling: a client-sent copy is dropped, not
  // refused, and only its key names are logged (the values are the caller's claims).
  const { value, dropped } = dropServerControlledFields(body.value, def.serverControlledIn);
  if (dropped.length > 0)
    deps.logger.warn(
      { requestId, action: name, ...who, droppedKeys: dropped },
      "[actions] dropped server-controlled fields",
    );
  const input = def.input.safeParse(value);
  if (!input.success)
    return {
      status: 400,
      body: { error: "invalid_input", issues: inputIssues(input.error) },
      ...who,
    };

  try {
    const logger = childLogger(deps.logger, { requestId, action: name, ...who });
    const data = await def.run({ session, logger }, input.data);
    // Serialize here, so a result JSON cannot represent (a BigInt, a cycle) is a logged 500, not a crash.
    return {
      status: def.successStatus ?? 200,
      body: JSON.parse(JSON.stringify({ data: data ?? null })) as unknown,
      ...who,
    };
  } catch (err) {
    const mapped = errorResponse(err);
    return mapped
      ? { ...mapped, ...who, reason: mapped.body.error }
      : { status: 500, body: null, ...who, err };
  }
}

function assertRegistrable(name: string, def: ActionDefinition): void {
  if (!ACTION_NAME.test(name))
    throw new Error(`[actions] action name "${name}" must be kebab-case (${ACTION_NAME})`);
  let schema: z.ZodType = def.input;
  while (schema instanceof z.ZodPipe) schema = schema.def.in as z.ZodType;
  if (schema instanceof z.ZodObject && !(schema.def.catchall instanceof z.ZodNever)) {
    throw new Error(
      `[actions] "${name}": input must be .strict(), so an unknown key is refused rather than ignored`,
    );
  }
}
