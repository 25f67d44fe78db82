import net from "node:net";
import { freePort } from "../../src/db/free-port.ts";

export interface TcpProxy {
  /** The database URL with its port swapped for the proxy's. */
  url: string;
  /**
   * "pass" forwards; "silent" drops every byte both ways without closing (a hung or half-open
   * connection); "no-notify" drops the server's NotificationResponse messages only (what a
   * transaction-mode pooler amounts to for LISTEN); "rename" forwards but changes the
   * application_name in the startup packet (a pooler that does not pass it on).
   */
  mode: "pass" | "silent" | "no-notify" | "rename";
  close(): Promise<void>;
}

/** A TCP proxy in front of Postgres that can fail without closing its sockets. */
export async function startTcpProxy(databaseUrl: string): Promise<TcpProxy> {
  const target = new URL(databaseUrl);
  const [host, targetPort] = [target.hostname, Number(target.port)];
  const sockets = new Set<net.Socket>();
  const proxy: TcpProxy = { url: "", mode: "pass", close };
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, host);
    let pending = Buffer.alloc(0);
    let started = false;
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("error", () => undefined);
      s.on("close", () => (client.destroy(), upstream.destroy()));
    }
    client.on("data", (d) => {
      if (proxy.mode === "silent") return;
      // Same length, so the startup packet's length field stays right.
      if (proxy.mode === "rename")
        d = Buffer.from(d.toString("latin1").replace(/:api-key-/g, ":api-xxx-"), "latin1");
      upstream.write(d);
    });
    upstream.on("data", (d) => {
      if (proxy.mode === "silent") return;
      // Server messages after startup: 1-byte type, 4-byte length (itself included), body.
      // The answer to an SSLRequest is one byte with no length.
      if (!started && d.length === 1) return void client.write(d);
      started = true;
      pending = Buffer.concat([pending, d]);
      while (pending.length >= 5 && pending.length >= 1 + pending.readInt32BE(1)) {
        const size = 1 + pending.readInt32BE(1);
        const message = pending.subarray(0, size);
        pending = pending.subarray(size);
        if (!(proxy.mode === "no-notify" && message[0] === 0x41)) client.write(message);
      }
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  target.hostname = "127.0.0.1";
  target.port = String(port);
  proxy.url = target.toString();

  async function close() {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  return proxy;
}
