import type { Server, ServerResponse } from "node:http";

/**
 * Call right after listening. The returned close() stops accepting at once, lets in-flight
 * requests finish (their responses say `Connection: close`), and after `graceMs` closes the
 * connections still open. Idle keep-alive connections are closed as soon as they are idle,
 * so a client holding one cannot delay the stop.
 */
export function gracefulClose(server: Server): (graceMs: number) => Promise<void> {
  const inFlight = new Set<ServerResponse>();
  let closing = false;
  server.prependListener("request", (_req, res: ServerResponse) => {
    if (closing) res.shouldKeepAlive = false;
    inFlight.add(res);
    res.once("close", () => inFlight.delete(res));
  });
  return (graceMs) =>
    new Promise((resolve) => {
      closing = true;
      // Takes effect for responses whose headers are not written yet.
      for (const res of inFlight) res.shouldKeepAlive = false;
      // A response already sent as keep-alive leaves an idle connection nothing else reports.
      const idle = setInterval(() => server.closeIdleConnections(), 100);
      const force = setTimeout(() => server.closeAllConnections(), graceMs);
      server.close(() => {
        clearInterval(idle);
        clearTimeout(force);
        resolve();
      });
    });
}
