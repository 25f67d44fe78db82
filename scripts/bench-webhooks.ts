/**
 * npm run bench:webhooks — signed GitHub deliveries per second and p50/p99 latency.
 *
 * (a) ours: POST /api/webhooks/github on the real application (hono on @hono/node-server),
 *     recording each delivery durably in a fresh embedded Postgres and forwarding one event
 *     to a local fake Inngest event endpoint;
 * (b) baseline: a bare node:http server doing only @octokit/webhooks signature verification
 *     (`new Webhooks({ secret }).verify`, no handlers) and answering 202.
 * Both take the same deliveries (a shipped installation.deleted payload, a new delivery id
 * each) from 50 keep-alive connections, in alternating rounds. The load and the fake
 * Inngest endpoint run in worker threads (scripts/bench-load.mjs and
 * bench-fake-inngest.mjs), off the event loop of the servers measured.
 * Exits 1 unless ours keeps p99 under 50 ms and at least 0.3x the baseline's throughput.
 */
import { createHmac, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { Worker } from "node:worker_threads";
import { serve } from "@hono/node-server";
import { Webhooks } from "@octokit/webhooks";
import { createApplication } from "../src/application.ts";
import { createSessionVerifier } from "../src/auth/session-verifier.ts";
import { readEnv } from "../src/config/env.ts";
import { startEmbeddedPostgres } from "../src/db/embedded-postgres.ts";
import { freePort } from "../src/db/free-port.ts";
import { migrate } from "../src/db/migrate.ts";
import { createRpcClient } from "../src/db/rpc/rpc-client.ts";
import { createSqlTransport } from "../src/db/rpc/sql-transport.ts";
import { createSql } from "../src/db/sql-client.ts";
import { GITHUB_WEBHOOK_PATH } from "../src/http/webhooks/github-webhook-endpoint.ts";
import { createLogger } from "../src/log/logger.ts";
import { median, nextMessage, runLoad, type Summary } from "./bench-http.ts";

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 4000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SECRET = randomUUID();
const FAKE_INNGEST = new URL("./bench-fake-inngest.mjs", import.meta.url);

const body = JSON.stringify(shippedPayload("installation", "deleted"));
const signature = `sha256=${createHmac("sha256", SECRET).update(body).digest("hex")}`;

const dir = await mkdtemp(path.join(tmpdir(), "cfj-bench-webhooks-"));
const pg = await startEmbeddedPostgres({
  dir,
  port: await freePort(),
  durable: process.env.BENCH_NONDURABLE !== "1",
});
const closers: (() => Promise<unknown>)[] = [() => pg.stop()];
try {
  const admin = createSql(pg.url, { max: 1 });
  await migrate(admin);
  await admin.end();

  const inngest = new Worker(FAKE_INNGEST);
  const { port: inngestPort } = await nextMessage<{ port: number }>(inngest);
  closers.push(() => Promise.resolve(inngest.postMessage("close")));

  const rpc = createRpcClient(
    createSqlTransport(
      createSql(pg.url, { max: Number(process.env.BENCH_POOL ?? 10), role: "service_role" }),
    ),
  );
  closers.push(() => rpc.close());
  const application = createApplication({
    env: readEnv({ NODE_ENV: "test", INNGEST_DEV: "1", GITHUB_WEBHOOK_SECRET: SECRET }),
    rpc,
    logger: createLogger({ level: "silent" }),
    verifier: createSessionVerifier({ jwtSecret: randomUUID() + randomUUID() }),
    github: null,
    inngestBaseUrl: `http://127.0.0.1:${inngestPort}`,
  });
  const oursPort = await freePort();
  const ours = serve({ fetch: application.http.fetch, port: oursPort, hostname: "127.0.0.1" });
  closers.push(() => close(ours as Server));

  const webhooks = new Webhooks({ secret: SECRET });
  const baseline = await listen(
    createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const payload = Buffer.concat(chunks).toString("utf8");
        void webhooks.verify(payload, String(req.headers["x-hub-signature-256"])).then((ok) => {
          res.writeHead(ok ? 202 : 401).end();
        });
      });
    }),
  );
  closers.push(() => close(baseline.server));

  const targets = {
    baseline: `${baseline.url}${GITHUB_WEBHOOK_PATH}`,
    ours: `http://127.0.0.1:${oursPort}${GITHUB_WEBHOOK_PATH}`,
  };
  await load(targets.ours, 200); // warm-up: JIT, pool, prepared statements
  await load(targets.baseline, 200);
  const results: Record<"baseline" | "ours", Summary[]> = { baseline: [], ours: [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of ["baseline", "ours"] as const) {
      results[name].push(await load(targets[name], REQUESTS));
    }
  }
  await application.webhooks.settled();
  // Closing the pool makes its backends flush their statistics, so the commit count is whole.
  await rpc.close();
  const check = createSql(pg.url, { max: 1 });
  const [rows] = await check<{ n: number; forwarded: number; commits: number }[]>`
    select count(*)::int as n, count(*) filter (where status = 'forwarded')::int as forwarded,
           (select xact_commit::int from pg_stat_database where datname = current_database()) as commits
      from public.webhook_deliveries`;
  await check.end();
  inngest.postMessage("count");
  const { events } = await nextMessage<{ events: number }>(inngest);
  report(results, rows!, events);
} finally {
  for (const closeOne of closers.reverse()) await closeOne().catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
}

function load(url: string, total: number): Promise<Summary> {
  return runLoad({
    url,
    total,
    connections: CONNECTIONS,
    body,
    headers: { "x-github-event": "installation", "x-hub-signature-256": signature },
    freshIdHeader: "x-github-delivery",
    okStatus: 202,
  });
}

function report(
  results: Record<"baseline" | "ours", Summary[]>,
  rows: { n: number; forwarded: number; commits: number },
  events: number,
) {
  const table = Object.entries(results).map(([variant, runs]) => ({
    variant,
    "deliveries/s": Math.round(median(runs.map((r) => r.perSec))),
    "p50 ms": +median(runs.map((r) => r.p50)).toFixed(2),
    "p99 ms": +median(runs.map((r) => r.p99)).toFixed(2),
    "worst p99 ms": +Math.max(...runs.map((r) => r.p99)).toFixed(2),
    "non-202": runs.reduce((n, r) => n + r.failures, 0),
  }));
  console.log(
    `bench:webhooks  ${CONNECTIONS} connections, ${REQUESTS} deliveries x ${ROUNDS} alternating rounds each (medians)`,
  );
  console.table(table);
  const ours = table.find((r) => r.variant === "ours")!;
  // Each round of ours against the baseline round just before it.
  const ratios = results.ours.map((r, i) => r.perSec / results.baseline[i]!.perSec);
  const ratio = median(ratios);
  console.log(
    `ours recorded ${rows.n} deliveries (${rows.forwarded} forwarded) in ${rows.commits} transactions ` +
      `(${(rows.n / rows.commits).toFixed(1)} deliveries per commit); fake Inngest got ${events} events`,
  );
  console.log(
    `throughput ratio ours/baseline: median ${ratio.toFixed(2)}x over rounds ` +
      `[${ratios.map((r) => r.toFixed(2)).join(", ")}] (target >= 0.30x); ` +
      `ours p99 ${ours["p99 ms"]} ms (target < 50 ms)`,
  );
  if (ratio < 0.3 || ours["p99 ms"] >= 50 || ours["non-202"] > 0) process.exitCode = 1;
}

function shippedPayload(event: string, action: string): unknown {
  const root = path.dirname(
    createRequire(import.meta.url).resolve("@octokit/webhooks-examples/package.json"),
  );
  const index = JSON.parse(
    readFileSync(path.join(root, "api.github.com", "index.json"), "utf8"),
  ) as { name: string; examples: { action: string }[] }[];
  return index.find((e) => e.name === event)!.examples.find((e) => e.action === action)!;
}

async function listen(server: Server): Promise<{ server: Server; url: string }> {
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${port}` };
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
