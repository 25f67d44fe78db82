import { IncomingMessage } from "node:http";
import type { Context } from "hono";

export type BoundedBody = { kind: "ok"; bytes: Buffer } | { kind: "too_large" };

/**
 * Reads at most `maxBytes` of the request body, whatever Content-Length claims (chunked
 * bodies have none), so an oversized body costs `maxBytes` of memory, not its size.
 *
 * Served by @hono/node-server, the body is read straight from Node's IncomingMessage: the
 * web-stream path builds an undici Request, a ReadableStream and an AbortSignal per request,
 * which cost the webhook intake a fifth of its throughput (npm run bench:webhooks).
 */
export async function readBoundedBody(c: Context, maxBytes: number): Promise<BoundedBody> {
  const incoming = nodeIncoming(c);
  const declared = Number(
    incoming ? incoming.headers["content-length"] : c.req.header("content-length"),
  );
  if (declared > maxBytes) return { kind: "too_large" };
  return incoming ? readIncoming(incoming, maxBytes) : readWebStream(c.req.raw, maxBytes);
}

function nodeIncoming(c: Context): IncomingMessage | undefined {
  const incoming = (c.env as { incoming?: unknown } | undefined)?.incoming;
  return incoming instanceof IncomingMessage && !incoming.readableDidRead ? incoming : undefined;
}

function readIncoming(incoming: IncomingMessage, maxBytes: number): Promise<BoundedBody> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (outcome: BoundedBody | Error) => {
      incoming.off("data", onData).off("end", onEnd).off("error", done).off("close", onClose);
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > maxBytes) {
        // Stop buffering; Node discards the rest of the body once the answer is sent.
        done({ kind: "too_large" });
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => done({ kind: "ok", bytes: Buffer.concat(chunks, size) });
    // Closed before `end`: the client hung up mid-body (`aborted` is deprecated, DEP0156).
    const onClose = () => done(new Error("client closed the connection before the body ended"));
    incoming.on("data", onData).on("end", onEnd).on("error", done).on("close", onClose);
  });
}

async function readWebStream(request: Request, maxBytes: number): Promise<BoundedBody> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (request.body) {
    const reader = (request.body as ReadableStream<Uint8Array>).getReader();
    for (let part = await reader.read(); !part.done; part = await reader.read()) {
      size += part.value.byteLength;
      if (size > maxBytes) {
        await reader.cancel();
        return { kind: "too_large" };
      }
      chunks.push(part.value);
    }
  }
  return { kind: "ok", bytes: Buffer.concat(chunks) };
}
