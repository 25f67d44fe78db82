import { type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { gracefulClose } from "../../src/lifecycle/graceful-close.ts";
import { rawConnection } from "../support/raw-http.ts";

/** A server whose /slow requests wait until the test releases them; /never ones never end. */
async function serverWithSlowRoute() {
  let release: () => void = () => undefined;
  const released = new Promise<void>((r) => (release = r));
  let arrived: () => void = () => undefined;
  const slowArrived = new Promise<void>((r) => (arrived = r));
  const server: Server = createServer((req, res) => {
    if (req.url === "/never") return arrived();
    if (req.url !== "/slow") return res.end("fast");
    arrived();
    void released.then(() => res.end("slow done"));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const close = gracefulClose(server);
  return { close, port: (server.address() as AddressInfo).port, release, slowArrived };
}

describe("gracefulClose", () => {
  it("refuses new connections, closes idle keep-alive ones, and lets an in-flight request finish with Connection: close", async () => {
    const { close, port, release, slowArrived } = await serverWithSlowRoute();
    const idle = rawConnection(port);
    idle.write("GET /fast HTTP/1.1\r\nHost: t\r\n\r\n");
    expect(await idle.response()).toMatchObject({ status: 200, body: "fast" });
    const busy = rawConnection(port);
    busy.write("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n");
    await slowArrived;

    const closed = close(60_000);
    await idle.closed;
    await expect(fetch(`http://127.0.0.1:${port}/fast`)).rejects.toThrow();

    release();
    const answer = await busy.response();
    expect(answer).toMatchObject({ status: 200, body: "slow done" });
    expect(answer.headers).toMatch(/^connection: close$/im);
    await closed;
  });

  it("closes a connection whose request outlives the grace period", async () => {
    const { close, port, slowArrived } = await serverWithSlowRoute();
    const stuck = rawConnection(port);
    stuck.write("GET /never HTTP/1.1\r\nHost: t\r\n\r\n");
    await slowArrived;
    await close(50);
    await stuck.closed;
  });
});
