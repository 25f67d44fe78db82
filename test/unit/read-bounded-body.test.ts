import { request, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { serve, type ServerType } from "@hono/node-server";
import { Hono } from "hono";
import { afterEach, describe, expect, it } from "vitest";
import { readBoundedBody, type BoundedBody } from "../../src/http/read-bounded-body.ts";

const MAX = 1024;
const servers: ServerType[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** A real Node listener: readBoundedBody takes the IncomingMessage path here, not web streams. */
async function listen(): Promise<{ port: number; reads: BoundedBody[]; failures: Error[] }> {
  const reads: BoundedBody[] = [];
  const failures: Error[] = [];
  const app = new Hono();
  app.post("/", async (c) => {
    let body: BoundedBody;
    try {
      body = await readBoundedBody(c, MAX);
    } catch (err) {
      failures.push(err as Error);
      throw err;
    }
    reads.push(body);
    return body.kind === "ok"
      ? c.json({ bytes: body.bytes.length, text: body.bytes.toString("utf8") })
      : c.json({ error: "payload_too_large" }, 413);
  });
  const server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, () => resolve(s));
  });
  servers.push(server);
  return { port: (server.address() as AddressInfo).port, reads, failures };
}

function post(
  port: number,
  write: (req: ReturnType<typeof request>) => void,
  headers: Record<string, string | number> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { port, host: "127.0.0.1", method: "POST", path: "/", headers },
      (res: IncomingMessage) => {
        let body = "";
        res.on("data", (c: Buffer) => (body += c.toString("utf8")));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("error", reject);
    write(req);
  });
}

describe("readBoundedBody on a Node server", () => {
  it("returns the exact bytes of a body under the limit, multi-byte UTF-8 included", async () => {
    const { port, reads } = await listen();
    const text = `{"name":"${"é".repeat(300)}"}`;
    const res = await post(port, (req) => req.end(text), { "content-type": "application/json" });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ bytes: Buffer.byteLength(text), text });
    expect(reads).toHaveLength(1);
  });

  it("refuses a declared Content-Length over the limit without reading the body", async () => {
    const { port, reads } = await listen();
    // Declares 10x the limit but sends only a few bytes: the answer cannot wait for the rest.
    const res = await post(port, (req) => req.write("{}"), { "content-length": MAX * 10 });
    expect(res.status).toBe(413);
    expect(reads).toEqual([{ kind: "too_large" }]);
  });

  it("answers 413 to an endless chunked body once it passes the limit, while it is still being sent", async () => {
    const { port, reads } = await listen();
    let sent = 0;
    const res = await post(port, (req) => {
      const chunk = Buffer.alloc(256, "x");
      const pump = () => {
        // Keeps sending until the answer arrives: the server must not wait for an end.
        while (!req.destroyed && req.write(chunk)) sent += chunk.length;
        if (!req.destroyed) req.once("drain", pump);
      };
      req.once("response", () => req.destroy());
      pump();
    });
    expect(res.status).toBe(413);
    expect(reads).toEqual([{ kind: "too_large" }]);
    expect(sent).toBeGreaterThan(MAX);
  });

  it("ends the read when the client hangs up mid-body, instead of waiting for an end that never comes", async () => {
    const { port, reads, failures } = await listen();
    const req = request({
      port,
      host: "127.0.0.1",
      method: "POST",
      path: "/",
      headers: { "content-length": 512 },
    });
    req.on("error", () => undefined);
    req.write("x".repeat(100));
    await new Promise((r) => setTimeout(r, 50));
    req.destroy();
    await expect.poll(() => failures.length).toBe(1);
    expect(reads).toEqual([]);
  });
});
