import type { Context, Hono } from "hono";
import type { InngestFunction } from "inngest";
import { serve } from "inngest/edge";
import type { Logger } from "pino";
import type { AppInngest } from "../../inngest/client.ts";
import { decodeUtf8 } from "../actions/read-json-body.ts";
import { readBoundedBody } from "../read-bounded-body.ts";
import { stripStacks } from "./strip-stacks.ts";

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
}

const SIGNATURE = "x-inngest-signature";

/**
 * `GET|POST|PUT <servePath>` in front of the SDK's handler: in signed mode an unsigned
 * call is refused before its body is read; every body is bounded before parsing or
 * verification; non-JSON is a 400; unsigned answers carry no stack (signed ones go only to
 * a caller holding the key, and are left byte-exact because their signature covers them).
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
    return response.headers.has(SIGNATURE) ? response : withoutStacks(response);
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
