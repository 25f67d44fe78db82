/**
 * Load worker for bench:api-keys (plain JS: workers do not inherit tsx's loader), so the
 * load does not share the event loop of the server measured: `total` POSTs of `{}` to
 * `url` over `connections` keep-alive connections, with `authorization` when given; posts
 * back latencies, the elapsed time and how many answers were not 200.
 */
import { Agent, request } from "node:http";
import { performance } from "node:perf_hooks";
import { parentPort, workerData } from "node:worker_threads";

/** @type {{ url: string, total: number, connections: number, authorization?: string }} */
const job = workerData;
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
      const status = await post();
      latencies.push(performance.now() - t0);
      if (status !== 200) failures += 1;
    }
  }),
);
parentPort.postMessage({ latencies, seconds: (performance.now() - started) / 1000, failures });
agent.destroy();

/** @returns {Promise<number>} */
function post() {
  return new Promise((resolve, reject) => {
    const req = request(
      job.url,
      {
        method: "POST",
        agent,
        headers: {
          "content-type": "application/json",
          "content-length": 2,
          ...(job.authorization ? { authorization: job.authorization } : {}),
        },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("error", reject);
    req.end("{}");
  });
}
