/**
 * Worker threads for bench:webhooks (plain JS: workers do not inherit tsx's loader), so neither the load nor the fake Inngest endpoint
 * shares the event loop of the server being measured.
 * - role "load": `total` POSTs to `url` over `connections` keep-alive connections, each a
 *   new delivery id with the same signed body; posts back latencies and the elapsed time.
 * - role "inngest": a fake Event API answering { ids, status: 200 }; posts back its port,
 *   and its event count when asked.
 */
import { Buffer } from "node:buffer";
import { randomUUID } from "node:crypto";
import process from "node:process";
import { Agent, createServer, request } from "node:http";
import { performance } from "node:perf_hooks";
import { parentPort, workerData } from "node:worker_threads";

/** @type {{ role: "inngest" } | { role: "load", url: string, total: number, connections: number, body: string, signature: string }} */
const job = workerData;

if (job.role === "inngest") {
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
} else {
  const agent = new Agent({ keepAlive: true, maxSockets: job.connections });
  /** @type {number[]} */
  const latencies = [];
  let next = 0;
  let failures = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: job.connections }, async () => {
      while (next < job.total) {
        next += 1;
        const t0 = performance.now();
        const status = await post(job, agent);
        latencies.push(performance.now() - t0);
        if (status !== 202) failures += 1;
      }
    }),
  );
  parentPort.postMessage({ latencies, seconds: (performance.now() - started) / 1000, failures });
  agent.destroy();
}

/** @returns {Promise<number>} */
function post(load, agent) {
  return new Promise((resolve, reject) => {
    const req = request(
      load.url,
      {
        method: "POST",
        agent,
        headers: {
          "content-type": "application/json",
          "content-length": Buffer.byteLength(load.body),
          "x-github-event": "installation",
          "x-github-delivery": randomUUID(),
          "x-hub-signature-256": load.signature,
        },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("error", reject);
    req.end(load.body);
  });
}
