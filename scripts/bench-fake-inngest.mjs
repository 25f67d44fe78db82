/**
 * bench:webhooks' fake Inngest Event API, in a worker thread (plain JS: workers do not
 * inherit tsx's loader) so it does not share the event loop of the server measured. Answers
 * { ids, status: 200 }; posts back its port, and its event count when asked ("count").
 */
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import process from "node:process";
import { parentPort } from "node:worker_threads";

let events = 0;
const server = createServer((req, res) => {
  let text = "";
  req.on("data", (c) => (text += c.toString("utf8")));
  req.on("end", () => {
    const parsed = JSON.parse(text);
    const count = Array.isArray(parsed) ? parsed.length : 1;
    events += count;
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify({ ids: Array.from({ length: count }, () => randomUUID()), status: 200 }),
    );
  });
});
server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  parentPort.postMessage({ port: typeof address === "object" && address ? address.port : 0 });
});
parentPort.on("message", (message) => {
  if (message === "count") parentPort.postMessage({ events });
  if (message === "close") server.close(() => process.exit(0));
});
