/**
 * npm run bench:recommendations — GitHub requests and throughput of recommendations-build.
 *
 * A fresh embedded Postgres in a temporary folder (removed at the end) and msw playing
 * GitHub (test/support/github-msw.ts: 100 ms added to every answer, any unhandled request
 * an error). 1,000 users over 20 installations: 20 organisations, each with the App installed,
 * 5 repositories of 8 issues and 50 users who reach them as members
 * (github_installation_members, as the `organization` webhooks record them).
 * (a) ours: recommendations-build's steps in order, in process (the modules the function
 *     runs: staleRepositories, refreshCandidates with its lease and shared cache,
 *     loadRankingInput, rankInput, writeRecommendations), with the service's GitHub App client;
 * (b) baseline: the same context, ranking and upsert, but GitHub searched per user per
 *     repository (one search each, in sequence, no shared cache);
 * (c) for reference, the whole function (createRecommendationsBuild) under @inngest/test:
 *     step memoization, the credential firewall and the test engine's spies cost CPU here;
 *     under Inngest each step is a round trip instead.
 * All run 20 builds at a time, users interleaved across organisations, on the same data
 * (reset in between); (a) and (b) must recommend the same issues to every user.
 * Exits 1 when a target is missed.
 */
import { generateKeyPairSync, randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { InngestTestEngine } from "@inngest/test";
import { setupServer } from "msw/node";
import { readEnv } from "../src/config/env.ts";
import { startEmbeddedPostgres } from "../src/db/embedded-postgres.ts";
import { freePort } from "../src/db/free-port.ts";
import { migrate } from "../src/db/migrate.ts";
import { createRpcClient, type RpcClient } from "../src/db/rpc/rpc-client.ts";
import { createSqlTransport } from "../src/db/rpc/sql-transport.ts";
import { createSql } from "../src/db/sql-client.ts";
import { createGitHubApp, type GitHubApp } from "../src/github/github-app.ts";
import { createInngestClient } from "../src/inngest/client.ts";
import {
  createRecommendationsBuild,
  RECOMMENDATIONS_ACTOR,
  type RecommendationsBuildResult,
} from "../src/inngest/functions/recommendations-build.ts";
import { createLogger } from "../src/log/logger.ts";
import { loadRankingInput, rankInput } from "../src/recommendations/ranking-input.ts";
import { refreshCandidates } from "../src/recommendations/refresh-candidates.ts";
import { staleRepositories } from "../src/recommendations/stale-repositories.ts";
import { writeRecommendations } from "../src/recommendations/write-recommendations.ts";
import { createFakeGitHub } from "../test/support/github-msw.ts";

const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 100);
const ORGS = 20;
const USERS_PER_ORG = 50;
const REPOS_PER_ORG = 5;
const ISSUES_PER_REPO = 8;
const CONCURRENCY = 20;
/**
 * `searchesPerInstallationRefresh` counts candidate-search requests (one GraphQL request per
 * repository batch, whatever its label groups). Token mints are GitHub requests too and are
 * reported beside it, but not in it: a token is reused for up to its hour, so one mint
 * serves every refresh of that installation in the hour (a cold refresh costs 1 + 1).
 */
const TARGETS = { searchesPerInstallationRefresh: 1, mintsPerInstallation: 1, speedup: 5 };
const BASE_URL = "https://api.github.com";
const APP_ID = "424242";
const LABELS = [["good first issue"], ["help wanted"], ["bug"], ["good first issue", "docs"]];

const NAMES: Record<string, string> = { viaInngestTest: "function (test)" };

type Sql = ReturnType<typeof createSql>;
type Build = (userId: string) => Promise<void>;
interface User {
  id: string;
  org: number;
  installationId: number;
}

const { privateKey, publicKey } = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  privateKeyEncoding: { type: "pkcs1", format: "pem" },
  publicKeyEncoding: { type: "spki", format: "pem" },
});
const logger = createLogger({ level: "silent" });
const repoName = (org: number, r: number) => `bench-org-${org}/repo-${r}`;

const dir = await mkdtemp(path.join(tmpdir(), "cfj-bench-"));
const pg = await startEmbeddedPostgres({ dir, port: await freePort() });
const admin = createSql(pg.url, { max: 1 });
const server = setupServer();
server.listen({ onUnhandledRequest: "error" });
try {
  await migrate(admin);
  const users = await arrange(admin);
  const rpc = createRpcClient(
    createSqlTransport(createSql(pg.url, { max: CONCURRENCY, role: "service_role" })),
  );
  // Warm-up (JIT, msw, key import, prepared statements), not measured.
  const warm = users.filter((u) => u.org === 0).slice(0, CONCURRENCY);
  await measure(admin, rpc, ours, warm);
  await measure(admin, rpc, baseline, warm);
  await measure(admin, rpc, viaInngestTest, warm);

  console.log(
    `${users.length} users over ${ORGS} installations (${USERS_PER_ORG} users, ${REPOS_PER_ORG} repositories of ${ISSUES_PER_REPO} issues each), ${CONCURRENCY} builds at a time, ${LATENCY_MS} ms per GitHub answer\n`,
  );
  const a = await measure(admin, rpc, ours, users);
  const b = await measure(admin, rpc, baseline, users);
  const f = await measure(admin, rpc, viaInngestTest, users);
  const ok = report(a, b, f);
  await rpc.close();
  process.exitCode = ok ? 0 : 1;
} finally {
  server.close();
  await admin.end();
  await pg.stop();
  await rm(dir, { recursive: true, force: true });
}

function installationOf(org: number): number {
  return 1_000_000 + org;
}

/** Users, installations and repositories in the database; issues are the fake GitHub's. */
async function arrange(sql: Sql): Promise<User[]> {
  const total = ORGS * USERS_PER_ORG;
  const rows = await sql<{ id: string; n: number }[]>`
    with made as (
      insert into auth.users (id) select gen_random_uuid() from generate_series(1, ${total})
      returning id)
    select id, (row_number() over (order by id))::int - 1 as n from made`;
  // Interleaved: consecutive users belong to different organisations.
  const users = rows.map(({ id, n }) => ({ id, n, org: n % ORGS, githubId: 5_000_000 + n }));
  await sql`
    insert into public.profiles ${sql(
      users.map((u) => ({ id: u.id, github_id: u.githubId, updated_by: "system:bench" })),
    )}`;
  // One organisation installation per organisation, its users reaching it as members.
  const orgs = Array.from({ length: ORGS }, (_, org) => org);
  await sql`
    insert into public.github_installations ${sql(
      orgs.map((org) => ({
        id: installationOf(org),
        account_id: 6_000_000 + org,
        account_login: `bench-org-${org}`,
        account_type: "Organization",
        installed_by_github_id: users.find((u) => u.org === org)!.githubId,
        updated_by: "system:bench",
      })),
    )}`;
  await sql`
    insert into public.github_installation_members ${sql(
      users.map((u) => ({
        installation_id: installationOf(u.org),
        github_user_id: u.githubId,
        member: true,
        as_of: new Date(),
        last_delivery_id: `bench-${u.n}`,
        updated_by: "system:bench",
      })),
    )}`;
  await sql`
    insert into public.github_installation_repositories ${sql(
      orgs.flatMap((org) =>
        Array.from({ length: REPOS_PER_ORG }, (_, r) => ({
          installation_id: installationOf(org),
          repository_id: 900_000 + org * 100 + r,
          full_name: repoName(org, r),
          updated_by: "system:bench",
        })),
      ),
    )}`;
  return users.map(({ id, org }) => ({ id, org, installationId: installationOf(org) }));
}

/** Fills the fake GitHub: each organisation's installation lists its repositories. */
function fakeGitHub() {
  const fake = createFakeGitHub({
    baseUrl: BASE_URL,
    appId: APP_ID,
    publicKeyPem: publicKey,
    latencyMs: LATENCY_MS,
  });
  for (let org = 0; org < ORGS; org++) {
    for (let r = 0; r < REPOS_PER_ORG; r++) {
      fake.state.issues.set(
        repoName(org, r),
        Array.from({ length: ISSUES_PER_REPO }, (_, i) => ({
          databaseId: 70_000_000 + org * 10_000 + r * 100 + i,
          number: i + 1,
          title: `Issue ${i + 1}`,
          labels: LABELS[i % LABELS.length]!,
          language: r % 2 ? "TypeScript" : "Go",
          updatedAt: new Date(Date.UTC(2026, 10, 1 + i)).toISOString(),
        })),
      );
    }
  }
  for (let org = 0; org < ORGS; org++) {
    fake.state.repositories.set(
      installationOf(org),
      Array.from({ length: REPOS_PER_ORG }, (_, r) => ({
        id: 900_000 + org * 100 + r,
        full_name: repoName(org, r),
        private: false,
      })),
    );
  }
  return fake;
}

interface Variant {
  build: Build;
  refreshes: () => number;
}

/** (a) The function's steps, in order, without the workflow engine: the lease, the shared cache. */
function ours(rpc: RpcClient, github: GitHubApp): Variant {
  let refreshes = 0;
  const deps = { rpc, github, actor: RECOMMENDATIONS_ACTOR };
  const build: Build = async (userId) => {
    const runId = randomUUID();
    for (const { installationId, repositories } of await staleRepositories(rpc, userId)) {
      const refresh = await refreshCandidates(deps, installationId, repositories, runId);
      if (refresh.status === "refreshed") refreshes++;
    }
    await rank(rpc, userId);
  };
  return { build, refreshes: () => refreshes };
}

/** For reference: the whole function under @inngest/test (step machinery, credential firewall). */
function viaInngestTest(rpc: RpcClient, github: GitHubApp): Variant {
  const inngest = createInngestClient({
    env: readEnv({ NODE_ENV: "test", INNGEST_DEV: "1" }),
    logger,
  });
  const fn = createRecommendationsBuild(inngest, { rpc, github, logger });
  let refreshes = 0;
  const build: Build = async (userId) => {
    const event = { name: "recommendations/build.requested", data: { userId }, id: userId };
    const engine = new InngestTestEngine({ function: fn, events: [event] });
    const { result, error } = await engine.execute();
    if (error) throw error instanceof Error ? error : new Error(JSON.stringify(error));
    const built = result as RecommendationsBuildResult;
    refreshes += built.refreshes.filter((r) => r.status === "refreshed").length;
  };
  return { build, refreshes: () => refreshes };
}

/** The build's last two steps, shared by every variant. */
async function rank(rpc: RpcClient, userId: string) {
  const input = await loadRankingInput(rpc, userId);
  const ranked = rankInput(input);
  await writeRecommendations(rpc, {
    userId,
    ranked,
    now: new Date(input.now),
    actor: RECOMMENDATIONS_ACTOR,
  });
}

/** (b) The naive build: every user searches each of their repositories on GitHub. */
function baseline(rpc: RpcClient, github: GitHubApp): Variant {
  let refreshes = 0;
  const build: Build = async (userId) => {
    const runId = randomUUID();
    const context = await rpc.call("recommendation_build_context", { p_user_id: userId });
    for (const { installation_id: installationId, repo_full_name: repo } of context) {
      const issues = await github.fetchCandidateIssues({ installationId, repositories: [repo] });
      refreshes++;
      const leased = await rpc.call("claim_candidate_refresh", {
        p_installation_id: installationId,
        p_repositories: [repo],
        p_fresh_seconds: 0,
        p_lease_seconds: 60,
        p_lease_owner: runId,
        p_actor: RECOMMENDATIONS_ACTOR,
      });
      if (leased.length === 0) continue; // another user's build is storing the same issues
      await rpc.call("store_candidate_issues", {
        p_repositories: [repo],
        p_issues: issues,
        p_lease_owner: runId,
        p_actor: RECOMMENDATIONS_ACTOR,
      });
    }
    await rank(rpc, userId);
  };
  return { build, refreshes: () => refreshes };
}

interface Run {
  name: string;
  builds: number;
  seconds: number;
  searches: number;
  mints: number;
  refreshes: number;
  /** Per user: the GitHub ids of the issues recommended, in rank order. */
  recommended: Map<string, string>;
  rejections: string[];
}

async function measure(
  sql: Sql,
  rpc: RpcClient,
  variant: (rpc: RpcClient, github: GitHubApp) => Variant,
  users: User[],
): Promise<Run> {
  await sql`truncate public.recommendations, public.candidate_issues, public.candidate_repositories, public.issue_webhook_states cascade`;
  const fake = fakeGitHub();
  server.resetHandlers(...fake.handlers);
  // A new App per run is a new process's token cache.
  const github = createGitHubApp({ appId: APP_ID, privateKey, baseUrl: BASE_URL });
  const v = variant(rpc, github);
  const started = performance.now();
  await mapConcurrently(users, CONCURRENCY, (u) => v.build(u.id));
  const seconds = (performance.now() - started) / 1000;
  const rows = await sql<{ user_id: string; issues: string }[]>`
    select r.user_id, string_agg(c.github_issue_id::text, ',' order by r.rank_score desc, c.github_issue_id) as issues
      from public.recommendations r join public.candidate_issues c on c.id = r.candidate_issue_id
     where r.status = 'open' group by r.user_id`;
  return {
    name: NAMES[variant.name] ?? variant.name,
    builds: users.length,
    seconds,
    searches: fake.state.requests["issue-search"],
    mints: fake.state.requests.mint,
    refreshes: v.refreshes(),
    recommended: new Map(rows.map((r) => [r.user_id, r.issues])),
    rejections: fake.state.rejections,
  };
}

async function mapConcurrently<T>(items: T[], limit: number, fn: (item: T) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: limit }, worker));
}

/** Prints both variants; true when every target is met. */
function report(a: Run, b: Run, f: Run): boolean {
  const rate = (r: Run) => r.builds / r.seconds;
  const speedup = rate(a) / rate(b);
  // Every build here falls in one freshness window and one token hour: one refresh and
  // one mint per installation at most.
  const perInstallation = a.searches / ORGS;
  const mintsPerInstallation = a.mints / ORGS;
  const disagree = [...b.recommended].filter(
    ([user, issues]) => a.recommended.get(user) !== issues,
  );
  const line = (...cells: string[]) =>
    console.log(cells.map((c, i) => (i === 0 ? c.padEnd(16) : c.padStart(15))).join(""));
  line(
    "variant",
    "builds/s",
    "wall s",
    "searches",
    "mints",
    "requests/build",
    "searches/inst",
    "mints/inst",
    "requests/inst",
  );
  for (const r of [a, b, f]) {
    line(
      r.name,
      rate(r).toFixed(1),
      r.seconds.toFixed(2),
      String(r.searches),
      String(r.mints),
      ((r.searches + r.mints) / r.builds).toFixed(3),
      (r.searches / ORGS).toFixed(2),
      (r.mints / ORGS).toFixed(2),
      ((r.searches + r.mints) / ORGS).toFixed(2),
    );
  }
  const failures = [
    perInstallation > TARGETS.searchesPerInstallationRefresh && "searches per installation",
    mintsPerInstallation > TARGETS.mintsPerInstallation && "token mints per installation",
    speedup < TARGETS.speedup && "throughput ratio",
    a.recommended.size !== a.builds && `only ${a.recommended.size} users got recommendations`,
    disagree.length > 0 && `ours and baseline disagree for ${disagree.length} users`,
    f.searches > ORGS && "the function searched more than once per installation",
    [a, b, f].some((r) => r.rejections.length > 0) &&
      `the fake refused: ${[a, b, f].flatMap((r) => r.rejections).join("; ")}`,
  ].filter(Boolean);
  console.log(
    `\nours: ${a.refreshes} refreshes; GitHub requests per installation per refresh = ${perInstallation.toFixed(2)} searches + ${mintsPerInstallation.toFixed(2)} token mints = ${((a.searches + a.mints) / ORGS).toFixed(2)} (a cold refresh: its token is then reused for up to an hour, so later refreshes in that hour cost the search only); ${speedup.toFixed(2)}x the baseline's builds/s (the whole function under @inngest/test: ${(rate(f) / rate(b)).toFixed(2)}x)`,
  );
  console.log(
    `targets: <= ${TARGETS.searchesPerInstallationRefresh} search request per installation per refresh (amortized over its users; mints not counted here), <= ${TARGETS.mintsPerInstallation} token mint per installation per token hour, >= ${TARGETS.speedup}x baseline builds/s, same recommendations: ${failures.length ? `MISSED: ${failures.join(", ")}` : "all met"}`,
  );
  return failures.length === 0;
}
