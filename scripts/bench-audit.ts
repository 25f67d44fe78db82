/**
 * npm run bench:audit — GitHub requests, token mints and throughput of an audit.
 *
 * A fake GitHub (msw, test/support/github-msw.ts) adds 100 ms to every answer,
 * about one round trip to api.github.com. 200 audits = 20 installations x 10
 * logins, 20 in flight at a time (a worker pool), in two orders:
 * - grouped: an installation's 10 audits start together, so every wave of 20
 *   waits for two fresh mints (cold tokens, and concurrent first calls must
 *   share one mint); the order least favourable to token reuse;
 * - round-robin: the first wave mints for all 20 installations, later waves
 *   reuse the tokens (warm tokens).
 * (a) createGitHubApp().collectAuditSignals: one GraphQL request per audit.
 * (b) a REST client's shape: one call per signal, in sequence (user, 3 searches,
 *     repository list, a GraphQL call for contributions), with the same App auth.
 * Exits 1 when a target is missed or the two disagree on any audit.
 */
import { generateKeyPairSync } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import { performance } from "node:perf_hooks";
import { App } from "@octokit/app";
import { Octokit } from "@octokit/rest";
import { setupServer } from "msw/node";
import { buildAuditQueryVariables } from "../src/audit/audit-query.ts";
import type { AuditFindings, AuditSignals } from "../src/audit/audit-signals.ts";
import { createGitHubApp } from "../src/github/github-app.ts";
import { createFakeGitHub } from "../test/support/github-msw.ts";
import { CONTRIBUTIONS_QUERY } from "../test/support/github-msw-rest.ts";

const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 100);
const INSTALLATIONS = 20;
const LOGINS_PER_INSTALLATION = 10;
const CONCURRENCY = 20;
const TARGETS = { requestsPerAudit: 2, mintsPerInstallation: 1, speedup: 3 };
const BASE_URL = "https://api.github.com";
const APP_ID = "424242";
const NOW = new Date("2025-06-01T00:00:00Z");

type Work = { installationId: number; login: string };
type Audit = (work: Work) => Promise<AuditSignals | AuditFindings>;

const { privateKey, publicKey } = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  privateKeyEncoding: { type: "pkcs1", format: "pem" },
  publicKeyEncoding: { type: "spki", format: "pem" },
});
const AUDITS = INSTALLATIONS * LOGINS_PER_INSTALLATION;
const ORDERS: Record<string, Work[]> = {
  grouped: Array.from({ length: AUDITS }, (_, i) => ({
    installationId: 1 + Math.floor(i / LOGINS_PER_INSTALLATION),
    login: `user-${i}`,
  })),
  "round-robin": Array.from({ length: AUDITS }, (_, i) => ({
    installationId: 1 + (i % INSTALLATIONS),
    login: `user-${i}`,
  })),
};

const server = setupServer();
server.listen({ onUnhandledRequest: "error" });
try {
  // Warm-up (JIT, msw, key import), not measured.
  await measure(ours, ORDERS.grouped!.slice(0, CONCURRENCY));
  await measure(baseline, ORDERS.grouped!.slice(0, CONCURRENCY));
  console.log(
    `${AUDITS} audits: ${INSTALLATIONS} installations x ${LOGINS_PER_INSTALLATION} logins, concurrency ${CONCURRENCY}, ${LATENCY_MS} ms per GitHub answer\n`,
  );
  row(
    "order",
    "variant",
    "requests/audit",
    "mints/inst (max)",
    "audits/s",
    "wall s",
    "ours/baseline",
    "targets",
  );
  let ok = true;
  for (const [order, items] of Object.entries(ORDERS)) {
    const a = await measure(ours, items);
    const b = await measure(baseline, items);
    ok = report(order, a, b) && ok;
  }
  console.log(
    `\ntargets: ours <= ${TARGETS.requestsPerAudit} requests/audit, <= ${TARGETS.mintsPerInstallation} mint/installation, >= ${TARGETS.speedup}x baseline throughput, same signals: ${ok ? "all met" : "MISSED"}`,
  );
  process.exitCode = ok ? 0 : 1;
} finally {
  server.close();
}

function ours(): Audit {
  const github = createGitHubApp({ appId: APP_ID, privateKey, baseUrl: BASE_URL });
  return ({ installationId, login }) =>
    github.collectAuditSignals({ installationId, login, now: NOW });
}

function baseline(): Audit {
  const app = new App({
    appId: APP_ID,
    privateKey,
    Octokit: Octokit.defaults({ baseUrl: BASE_URL }),
  });
  return async ({ installationId, login }) => {
    const octokit = await app.getInstallationOctokit(installationId);
    const queries = buildAuditQueryVariables(login);
    const search = async (q: string) =>
      (await octokit.request("GET /search/issues", { q, per_page: 1 })).data.total_count;
    const { data: user } = await octokit.request("GET /users/{username}", { username: login });
    const mergedPrs = await search(queries.mergedPrsQuery);
    const mergedPrsExternal = await search(queries.mergedPrsExternalQuery);
    const closedIssues = await search(queries.closedIssuesQuery);
    const { data: repos } = await octokit.request("GET /users/{username}/repos", {
      username: login,
      type: "owner",
      sort: "pushed",
      per_page: 100,
    });
    const contributions = await octokit.graphql<{
      user: { contributionsCollection: { contributionCalendar: { totalContributions: number } } };
    }>(CONTRIBUTIONS_QUERY, { login });
    const languages = new Set(repos.flatMap((repo) => (repo.language ? [repo.language] : [])));
    return {
      accountAgeDays: Math.max(
        0,
        Math.floor((NOW.getTime() - Date.parse(user.created_at)) / 86_400_000),
      ),
      mergedPrs,
      mergedPrsExternal,
      closedIssues,
      distinctLanguages: languages.size,
      yearlyContributions:
        contributions.user.contributionsCollection.contributionCalendar.totalContributions,
      followers: user.followers,
      // The language names too, as ours returns them (AuditFindings), so results compare whole.
      languages: [...languages].sort(),
    };
  };
}

interface Run {
  audits: number;
  seconds: number;
  requests: number;
  maxMints: number;
  results: (AuditSignals | AuditFindings)[];
  rejections: string[];
}

async function measure(variant: () => Audit, items: Work[]): Promise<Run> {
  const fake = createFakeGitHub({
    baseUrl: BASE_URL,
    appId: APP_ID,
    publicKeyPem: publicKey,
    latencyMs: LATENCY_MS,
  });
  // Different numbers per login, so a mixed-up answer cannot go unnoticed.
  items.forEach(({ login }, i) =>
    fake.state.users.set(login, {
      followers: i,
      mergedPrs: 2 * i,
      closedIssues: i % 7,
      languages: ["Go", i % 2 ? "Rust" : null],
    }),
  );
  server.resetHandlers(...fake.handlers);
  const audit = variant();
  const started = performance.now();
  const results = await mapConcurrently(items, CONCURRENCY, audit);
  const seconds = (performance.now() - started) / 1000;
  const requests = Object.values(fake.state.requests).reduce((sum, n) => sum + n, 0);
  return {
    audits: items.length,
    seconds,
    requests,
    maxMints: Math.max(...fake.state.mints.values()),
    results,
    rejections: fake.state.rejections,
  };
}

async function mapConcurrently<T, R>(
  items: T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return results;
}

function row(...cells: string[]): void {
  console.log(
    cells
      .map((cell, i) => (i < 2 ? cell.padEnd(12) : i < 7 ? cell.padStart(17) : `   ${cell}`))
      .join(""),
  );
}

/** Prints both variants of one order; true when every target is met. */
function report(order: string, a: Run, b: Run): boolean {
  const perAudit = (r: Run) => r.requests / r.audits;
  const rate = (r: Run) => r.audits / r.seconds;
  const speedup = rate(a) / rate(b);
  const failures = [
    perAudit(a) > TARGETS.requestsPerAudit && "requests per audit",
    a.maxMints > TARGETS.mintsPerInstallation && "mints per installation",
    speedup < TARGETS.speedup && "throughput ratio",
    !isDeepStrictEqual(a.results, b.results) && "ours and baseline disagree",
    a.rejections.length + b.rejections.length > 0 &&
      `the fake refused: ${[...a.rejections, ...b.rejections].join("; ")}`,
  ].filter(Boolean);
  const cells = (r: Run) => [
    perAudit(r).toFixed(2),
    String(r.maxMints),
    rate(r).toFixed(1),
    r.seconds.toFixed(2),
  ];
  row(
    order,
    "ours",
    ...cells(a),
    `${speedup.toFixed(2)}x`,
    failures.length ? `MISSED: ${failures.join(", ")}` : "ok",
  );
  row("", "baseline", ...cells(b));
  return failures.length === 0;
}
