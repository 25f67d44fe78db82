/**
 * npm run bench:claims — throughput and correctness of the claim cap under load.
 *
 * Against a fresh embedded Postgres: 1,000 users x 10 open recommendations, 32
 * concurrent clients. The work queue keeps each user's 10 claims adjacent, so
 * about three users have all their claims in flight at once: the contention a
 * user double-clicking through a list (or a script) creates.
 * (a) public.claim_recommendation_atomic vs (b) the naive form of docs/claim-cap.md
 * (count subquery in the UPDATE, no lock) in a scratch schema, run alternately in the
 * same process on the same data, reset between runs.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { startEmbeddedPostgres } from "../src/db/embedded-postgres.ts";
import { freePort } from "../src/db/free-port.ts";
import { migrate } from "../src/db/migrate.ts";
import { createSql } from "../src/db/sql-client.ts";

const USERS = Number(process.env.BENCH_USERS ?? 1000);
const RECS_PER_USER = 10;
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 32);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);

type Sql = ReturnType<typeof createSql>;

const dir = await mkdtemp(path.join(tmpdir(), "cfj-bench-"));
const pg = await startEmbeddedPostgres({ dir, port: await freePort() });
const admin = createSql(pg.url, { max: 1 });
try {
  await migrate(admin);
  await arrange(admin);
  const pool = createSql(pg.url, { max: CLIENTS, role: "service_role" });
  const variants = {
    ours: (u: string, r: number) =>
      pool`select id from public.claim_recommendation_atomic(${r}, ${u})`,
    naive: (u: string, r: number) => pool`select id from bench_naive.claim(${r}, ${u})`,
  };
  const work = await admin<
    { user_id: string; id: number }[]
  >`select user_id, id from public.recommendations order by user_id, id`;
  const results: Record<string, ReturnType<typeof summarize>[]> = { ours: [], naive: [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of ["ours", "naive"] as const) {
      await admin`update public.recommendations set status = 'open', claimed_at = null, claim_expires_at = null`;
      await admin`vacuum analyze public.recommendations`;
      results[name]!.push(summarize(await run(work, variants[name]), await overCapUsers(admin)));
    }
  }
  await pool.end();
  report(results);
} finally {
  await admin.end();
  await pg.stop();
  await rm(dir, { recursive: true, force: true });
}

async function arrange(sql: Sql) {
  await sql.unsafe(`
    insert into auth.users (id) select gen_random_uuid() from generate_series(1, ${USERS});
    insert into public.profiles (id, updated_by) select id, 'system:bench' from auth.users;
    insert into public.candidate_issues (github_issue_id, repo_full_name, number, title, html_url, updated_by)
      select n, 'bench/repo', n, 'bench issue', 'https://github.com/bench/repo/issues/' || n, 'system:bench'
      from generate_series(1, ${RECS_PER_USER}) n;
    insert into public.recommendations (user_id, candidate_issue_id, created_by, updated_by)
      select p.id, ci.id, 'system:bench', 'system:bench' from public.profiles p cross join public.candidate_issues ci;
    -- The naive form (docs/claim-cap.md), kept only here as the baseline.
    create schema bench_naive;
    create function bench_naive.claim(p_rec_id bigint, p_user_id uuid) returns table (id bigint)
    language sql security definer set search_path = '' as $$
      update public.recommendations r
        set status = 'claimed', claimed_at = now(), claim_expires_at = now() + interval '14 days',
            updated_at = now(), updated_by = ('user:' || p_user_id)::public.actor
      where r.id = p_rec_id and r.user_id = p_user_id and r.status = 'open' and r.expires_at > now()
        and (select count(*) from public.recommendations c
             where c.user_id = p_user_id and c.status = 'claimed' and c.claim_expires_at > now()) < 3
      returning r.id
    $$;
    grant usage on schema bench_naive to service_role;
    grant execute on function bench_naive.claim(bigint, uuid) to service_role;`);
}

async function run(
  work: { user_id: string; id: number }[],
  claim: (u: string, r: number) => Promise<unknown>,
) {
  const latencies: number[] = [];
  let next = 0;
  let failures = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (next < work.length) {
        const item = work[next++]!;
        const t0 = performance.now();
        await claim(item.user_id, item.id).catch((err: { code?: string }) => {
          if (err.code !== "CF001") failures++;
        });
        latencies.push(performance.now() - t0);
      }
    }),
  );
  if (failures) throw new Error(`${failures} claims failed for a reason other than the cap`);
  return { seconds: (performance.now() - started) / 1000, latencies };
}

async function overCapUsers(sql: Sql) {
  const [row] = await sql<{ over: number; worst: number }[]>`
    select count(*) filter (where n > 3)::int as over, coalesce(max(n), 0)::int as worst from (
      select count(*) as n from public.recommendations where status = 'claimed' group by user_id) t`;
  return row!;
}

function summarize(
  r: { seconds: number; latencies: number[] },
  cap: { over: number; worst: number },
) {
  const sorted = [...r.latencies].sort((a, b) => a - b);
  const pct = (p: number) =>
    sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
  return {
    callsPerSec: sorted.length / r.seconds,
    p50: pct(50),
    p99: pct(99),
    overCapUsers: cap.over,
    worstUser: cap.worst,
  };
}

function report(results: Record<string, ReturnType<typeof summarize>[]>) {
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const rows = Object.entries(results).map(([name, runs]) => ({
    variant: name,
    "claim calls/s": Math.round(mean(runs.map((r) => r.callsPerSec))),
    "p50 ms": +mean(runs.map((r) => r.p50)).toFixed(2),
    "p99 ms": +mean(runs.map((r) => r.p99)).toFixed(2),
    "over-cap users": Math.max(...runs.map((r) => r.overCapUsers)),
    "most claims by one user": Math.max(...runs.map((r) => r.worstUser)),
  }));
  console.log(
    `bench:claims  ${USERS} users x ${RECS_PER_USER} recommendations, ${CLIENTS} clients, ${ROUNDS} alternating rounds each`,
  );
  console.table(rows);
  const ours = rows.find((r) => r.variant === "ours")!;
  const naive = rows.find((r) => r.variant === "naive")!;
  const ratio = ours["claim calls/s"] / naive["claim calls/s"];
  console.log(
    `throughput ratio ours/naive: ${ratio.toFixed(2)}x (target >= 0.70x); over-cap users ours: ${ours["over-cap users"]} (target 0)`,
  );
  if (ours["over-cap users"] > 0 || ratio < 0.7) process.exitCode = 1;
}
