/**
 * npm run bench:api-keys — what API-key validation costs on an authenticated read.
 *
 * One server, one handler (`get-profile`, a real RPC to a fresh embedded Postgres), mounted
 * three times with different authentication in front of it:
 * (a) none: a fixed session, no credential checked (the unauthenticated request);
 * (b) cached: the real API-key verifier with its in-process cache and the LISTEN feed;
 * (c) uncached: the same verifier with API_KEY_CACHE_TTL_SECONDS=0 (a database lookup each).
 * Load comes from a worker thread over keep-alive connections, in short alternating rounds;
 * each figure is the median over rounds (one noisy round on a shared machine moves it
 * little). Also times verify() alone, in process, cached vs uncached.
 * Reports requests/s, p50/p99 and ratios; exits 1 unless cached validation adds < 1 ms at
 * p99 over (a).
 */
import { mkdtemp, rm } from "node:fs/promises";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { getProfile } from "../src/actions/get-profile.ts";
import { createApiKeyAuth } from "../src/api-keys/api-key-auth.ts";
import { generateApiKey } from "../src/api-keys/api-key-format.ts";
import { createPgRevocationFeed } from "../src/api-keys/pg-revocation-feed.ts";
import type { SessionVerifier } from "../src/auth/session.ts";
import { startEmbeddedPostgres } from "../src/db/embedded-postgres.ts";
import { freePort } from "../src/db/free-port.ts";
import { migrate } from "../src/db/migrate.ts";
import { createRpcClient } from "../src/db/rpc/rpc-client.ts";
import { createSqlTransport } from "../src/db/rpc/sql-transport.ts";
import { createSql } from "../src/db/sql-client.ts";
import { registerActions } from "../src/http/actions/index.ts";
import { createLogger } from "../src/log/logger.ts";
import { median, runLoad, type Summary } from "./bench-http.ts";

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 8);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 2500);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 8);
const USER_ID = "11111111-1111-4111-8111-111111111111";

const dir = await mkdtemp(path.join(tmpdir(), "cfj-bench-api-keys-"));
const pg = await startEmbeddedPostgres({ dir, port: await freePort() });
const closers: (() => Promise<unknown>)[] = [() => pg.stop()];
try {
  const admin = createSql(pg.url, { max: 1 });
  await migrate(admin);
  await admin`insert into auth.users (id, email) values (${USER_ID}, 'bench@example.test')`;
  await admin`insert into public.profiles (id, github_id, github_login, updated_by)
              values (${USER_ID}, 4242, 'octo-bench', ${`user:${USER_ID}`})`;
  await admin.end();

  const logger = createLogger({ level: "silent" });
  const rpc = createRpcClient(createSqlTransport(createSql(pg.url, { role: "service_role" })));
  closers.push(() => rpc.close());
  const { key, hash, displayPrefix } = generateApiKey();
  await rpc.call("create_api_key", {
    p_user_id: USER_ID,
    p_name: "bench",
    p_key_hash: hash,
    p_display_prefix: displayPrefix,
    p_expires_at: null,
  });

  const feed = createPgRevocationFeed({ url: pg.url, logger });
  closers.push(() => feed.close());
  const rateLimit = { perMinute: 1e9, burst: 1e9 };
  const cached = createApiKeyAuth({
    rpc,
    revocations: feed,
    cacheTtlMs: 10_000,
    rateLimit,
    logger,
  });
  const uncached = createApiKeyAuth({ rpc, revocations: null, cacheTtlMs: 0, rateLimit, logger });
  closers.push(() => cached.settled());
  const none: SessionVerifier = {
    verify: () => Promise.resolve({ userId: USER_ID, isAnonymous: false, actorSource: "human" }),
  };
  while (!cached.caching()) await new Promise((r) => setTimeout(r, 10));

  const app = new Hono();
  const verifiers = { none, cached: cached.verifier, uncached: uncached.verifier };
  for (const [name, verifier] of Object.entries(verifiers)) {
    registerActions(app, {
      verifier,
      actions: { "get-profile": getProfile({ rpc }) },
      logger,
      basePath: `/${name}`,
    });
  }
  const port = await freePort();
  const server = serve({ fetch: app.fetch, port, hostname: "127.0.0.1" });
  closers.push(() => new Promise((resolve) => (server as Server).close(resolve)));

  const variants = Object.keys(verifiers) as (keyof typeof verifiers)[];
  const run = (name: keyof typeof verifiers, total: number) =>
    load(`http://127.0.0.1:${port}/${name}/get-profile`, total, name === "none" ? undefined : key);
  for (const name of variants) await run(name, 500); // warm-up: JIT, pool, prepared statements
  const results: Record<string, Summary[]> = { none: [], cached: [], uncached: [] };
  // The order rotates each round, so no variant always follows the same one.
  for (let round = 0; round < ROUNDS; round++)
    for (let i = 0; i < variants.length; i++) {
      const name = variants[(round + i) % variants.length]!;
      results[name]!.push(await run(name, REQUESTS));
    }
  report(results, {
    cached: await timeVerify(() => cached.verifier.verify(key)),
    uncached: await timeVerify(() => uncached.verifier.verify(key)),
  });
} finally {
  for (const closeOne of closers.reverse()) await closeOne().catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
}

/** p50/p99 of one verify() call, sequentially, after a warm-up. */
async function timeVerify(verify: () => Promise<unknown>, calls = 5000) {
  for (let i = 0; i < 200; i++) await verify();
  const times: number[] = [];
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now();
    await verify();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { p50: times[Math.floor(calls / 2)]!, p99: times[Math.floor(calls * 0.99)]! };
}

function load(url: string, total: number, apiKey?: string): Promise<Summary> {
  return runLoad({
    url,
    total,
    connections: CONNECTIONS,
    body: "{}",
    headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {},
    okStatus: 200,
  });
}

function report(
  results: Record<string, Summary[]>,
  verify: Record<"cached" | "uncached", { p50: number; p99: number }>,
) {
  const rows = Object.entries(results).map(([variant, runs]) => ({
    variant,
    "requests/s": Math.round(median(runs.map((r) => r.perSec))),
    "p50 ms": +median(runs.map((r) => r.p50)).toFixed(3),
    "p99 ms": +median(runs.map((r) => r.p99)).toFixed(3),
    "non-200": runs.reduce((n, r) => n + r.failures, 0),
  }));
  const by = (name: string) => rows.find((r) => r.variant === name)!;
  const [none, cached, uncached] = [by("none"), by("cached"), by("uncached")];
  console.log(
    `bench:api-keys  get-profile, ${CONNECTIONS} connections, ${REQUESTS} requests x ${ROUNDS} alternating rounds each (medians over rounds)`,
  );
  console.table(rows);
  const added = cached["p99 ms"] - none["p99 ms"];
  console.log(
    `throughput: cached/none ${(cached["requests/s"] / none["requests/s"]).toFixed(2)}x, ` +
      `uncached/none ${(uncached["requests/s"] / none["requests/s"]).toFixed(2)}x, ` +
      `cached/uncached ${(cached["requests/s"] / uncached["requests/s"]).toFixed(2)}x`,
  );
  console.log(
    `cached validation adds ${added.toFixed(3)} ms at p99 (target < 1 ms); uncached adds ${(uncached["p99 ms"] - none["p99 ms"]).toFixed(3)} ms`,
  );
  const us = (ms: number) => `${(ms * 1000).toFixed(1)} µs`;
  console.log(
    `verify() alone, in process: cached p50 ${us(verify.cached.p50)} / p99 ${us(verify.cached.p99)}; ` +
      `uncached p50 ${us(verify.uncached.p50)} / p99 ${us(verify.uncached.p99)}`,
  );
  if (added >= 1 || rows.some((r) => r["non-200"] > 0)) process.exitCode = 1;
}
