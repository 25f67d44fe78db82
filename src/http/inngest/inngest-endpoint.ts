import type { Context, Hono } from "hono";
import type { InngestFunction } from "inngest";
import { serve } from "inngest/edge";
import type { Logger } from "pino";
import type { AppInngest } from "../../inngest/client.ts";
import { decodeUtf8 } from "../actions/read-json-body.ts";
import { readBoundedBody } from "../read-bounded-body.ts";
import { resignResponse } from "./resign-response.ts";
import { blankStacks, stripStacks } from "./strip-stacks.ts";

export interface InngestEndpointOptions {
  client: AppInngest;
  functions: InngestFunction.Any[];
  servePath: string;
  logger: Logger;
  /** false only in dev mode, which readEnv allows on loopback only. */
  signed: boolean;
  /** Where Inngest is told to call us: configuration, never a request's Host header. */
  serveOrigin: string;
  enableUnauthedSync: boolean;
  maxBodyBytes: number;
  /** INNGEST_SIGNING_KEY and its fallback: a signed answer cleaned of stacks is signed again. */
  signingKeys: readonly string[];
}

const SIGNATURE = "x-inngest-signature";

/**
 * `GET|POST|PUT <servePath>` in front of the SDK's handler: in signed mode an unsigned
 * call is refused before its body is read; every body is bounded before parsing or
 * verification; non-JSON is a 400; no answer carries a stack, in any mode. Function and step
 * errors lose theirs before the SDK serializes them (StacklessErrors); what the SDK answers
 * by itself (an unknown function, a malformed request) is cleaned here and signed again.
 */
export function registerInngestEndpoint(app: Hono, options: InngestEndpointOptions): void {
  const handler = serve({
    client: options.client,
    functions: options.functions,
    servePath: options.servePath,
    serveOrigin: options.serveOrigin,
    enableUnauthedSync: options.enableUnauthedSync,
  });
  const log = options.logger.child({ component: "inngest-endpoint" });

  const refuse = (c: Context, status: 400 | 401 | 413, error: string, reason: string) => {
    log.warn({ method: c.req.method, status, reason }, "[inngest] call refused");
    return c.json({ error }, status);
  };

  app.on(["GET", "POST", "PUT"], options.servePath, async (c) => {
    const { method } = c.req;
    const signed = c.req.header(SIGNATURE) !== undefined;
    if (options.signed && !signed) {
      if (method === "POST") return refuse(c, 401, "unauthorized", "unsigned call");
      if (method === "PUT" && !options.enableUnauthedSync) {
        return refuse(
          c,
          401,
          "unauthorized",
          "unsigned sync (INNGEST_ENABLE_UNAUTHED_SYNC is off)",
        );
      }
    }

    let body: Buffer | undefined;
    if (method !== "GET") {
      const read = await readBoundedBody(c, options.maxBodyBytes);
      if (read.kind === "too_large") {
        return refuse(c, 413, "payload_too_large", `body over ${options.maxBodyBytes} bytes`);
      }
      const text = decodeUtf8(read.bytes);
      if (text === undefined || (text.trim() !== "" && !isJson(text))) {
        return refuse(c, 400, "invalid_json", "body is not JSON");
      }
      body = read.bytes;
    }

    const headers = new Headers(c.req.raw.headers);
    headers.delete("content-length");
    // The edge adapter needs a Host to parse the URL; registration uses serveOrigin, not this.
    if (!headers.has("host")) headers.set("host", new URL(c.req.url).host);
    const response = await handler(
      new Request(c.req.url, { method, headers, ...(body ? { body } : {}) }),
    );
    if (method === "PUT") log.warn({ status: response.status, signed }, "[inngest] sync requested");
    else if (response.status === 401)
      log.warn({ method, reason: "invalid signature" }, "[inngest] call refused");
    return response.headers.has(SIGNATURE)
      ? withoutSignedStacks(response, options.signingKeys)
      : withoutStacks(response);
  });
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** A signed answer keeps its bytes unless a stack has content: then it is blanked and re-signed. */
async function withoutSignedStacks(response: Response, keys: readonly string[]): Promise<Response> {
  const text = await response.text();
  // Most answers (step outputs, up to Inngest's 32 MB) hold no stack: skip parsing those.
  // A match is a key (a quote inside a JSON string is escaped), so blanking changes the text.
  if (!/"stack":"[^"]/.test(text)) return new Response(text, response);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not JSON: nothing structured to clean; the SDK sends JSON for every error.
    return new Response(text, response);
  }
  return resignResponse(response, text, JSON.stringify(blankStacks(parsed)), keys);
}

async function withoutStacks(response: Response): Promise<Response> {
  const text = await response.text();
  let clean = text;
  try {
    clean = JSON.stringify(stripStacks(JSON.parse(text)));
  } catch {
    // Not JSON: nothing structured to strip; the SDK sends JSON for every error.
  }
  const headers = new Headers(response.headers);
  headers.delete("content-length");
  return new Response(clean, { status: response.status, headers });
}
