/**
 * The load worker of the HTTP benches (plain JS: workers do not inherit tsx's loader), so
 * the load does not share the event loop of the server measured: `total` POSTs of `body`
 * to `url` over `connections` keep-alive connections, with `headers`, and a new UUID in the
 * `freshIdHeader` of each request when given (a webhook's X-GitHub-Delivery). Posts back
 * the latencies, the elapsed time and how many answers were not `okStatus`.
 */
import { Buffer } from "node:buffer";
import { randomUUID } from "node:crypto";
import { Agent, request } from "node:http";
import { performance } from "node:perf_hooks";
import { parentPort, workerData } from "node:worker_threads";

/** @type {{ url: string, total: number, connections: number, body: string, headers: Record<string, string>, freshIdHeader?: string, okStatus: number }} */
const job = workerData;
const agent = new Agent({ keepAlive: true, maxSockets: job.connections });
const length = Buffer.byteLength(job.body);
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
      const status = await post();
      latencies.push(performance.now() - t0);
      if (status !== job.okStatus) failures += 1;
    }
  }),
);
parentPort.postMessage({ latencies, seconds: (performance.now() - started) / 1000, failures });
agent.destroy();

/** @returns {Promise<number>} */
function post() {
  return new Promise((resolve, reject) => {
    const headers = {
      "content-type": "application/json",
      "content-length": length,
      ...job.headers,
    };
    if (job.freshIdHeader) headers[job.freshIdHeader] = randomUUID();
    const req = request(job.url, { method: "POST", agent, headers }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.end(job.body);
  });
}
