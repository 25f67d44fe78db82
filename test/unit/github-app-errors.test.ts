import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { GitHubUserNotFoundError } from "../../src/audit/audit-errors.ts";
import {
  GitHubRateLimitError,
  GitHubUnavailableError,
  InstallationUnavailableError,
} from "../../src/github/github-errors.ts";
import { useFakeGitHub } from "../support/github-app-harness.ts";
import type { FakeGitHubState, GraphqlMode, InstallationMode } from "../support/github-msw.ts";

const { arrange } = useFakeGitHub();

/** The error and every `cause` below it, as far as the chain goes. */
function causeChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (
    let e = error;
    e !== undefined && e !== null && !chain.includes(e);
    e = (e as { cause?: unknown }).cause
  )
    chain.push(e);
  return chain;
}

/** Everything an error could show: message, stack, and every own field, hidden ones included. */
function renderings(error: unknown): string[] {
  return causeChain(error).flatMap((e) => [
    String((e as Error).message),
    String((e as Error).stack),
    inspect(e, { depth: Infinity, showHidden: true }),
  ]);
}

interface Case {
  name: string;
  installation?: InstallationMode;
  graphql?: GraphqlMode;
  expected: (
    error: unknown,
    state: FakeGitHubState,
    window: { before: number; after: number },
  ) => void;
  requests: { mint: number; graphql: number };
}

const cases: Case[] = [
  {
    name: "deleted installation (mint 404)",
    installation: "gone",
    requests: { mint: 1, graphql: 0 },
    expected: (e) =>
      expect(e).toMatchObject({ constructor: InstallationUnavailableError, status: 404 }),
  },
  {
    name: "suspended installation (mint 403)",
    installation: "suspended",
    requests: { mint: 1, graphql: 0 },
    expected: (e) =>
      expect(e).toMatchObject({ constructor: InstallationUnavailableError, status: 403 }),
  },
  {
    name: "mint 5xx",
    installation: "5xx",
    requests: { mint: 1, graphql: 0 },
    expected: (e) => expect(e).toMatchObject({ constructor: GitHubUnavailableError, status: 500 }),
  },
  {
    name: "primary rate limit (403, x-ratelimit-remaining 0)",
    graphql: "rate-limited",
    requests: { mint: 1, graphql: 1 },
    expected: (e, state) => {
      expect(e).toBeInstanceOf(GitHubRateLimitError);
      expect((e as GitHubRateLimitError).resetAt).toEqual(
        new Date(state.rateLimitResetEpoch * 1000),
      );
    },
  },
  {
    name: "secondary rate limit (403, retry-after 60)",
    graphql: "secondary-rate-limited",
    requests: { mint: 1, graphql: 1 },
    expected: (e, _state, { before, after }) => {
      expect(e).toBeInstanceOf(GitHubRateLimitError);
      const resetMs = (e as GitHubRateLimitError).resetAt.getTime();
      expect(resetMs).toBeGreaterThanOrEqual(before + 60_000);
      expect(resetMs).toBeLessThanOrEqual(after + 60_000);
    },
  },
  {
    name: "GraphQL RATE_LIMITED error (HTTP 200)",
    graphql: "graphql-rate-limited",
    requests: { mint: 1, graphql: 1 },
    expected: (e, state) => {
      expect(e).toBeInstanceOf(GitHubRateLimitError);
      expect((e as GitHubRateLimitError).resetAt).toEqual(
        new Date(state.rateLimitResetEpoch * 1000),
      );
    },
  },
  {
    name: "GraphQL 5xx",
    graphql: "5xx",
    requests: { mint: 1, graphql: 1 },
    expected: (e) => expect(e).toMatchObject({ constructor: GitHubUnavailableError, status: 502 }),
  },
  {
    name: "network failure",
    graphql: "network",
    requests: { mint: 1, graphql: 1 },
    expected: (e) => expect(e).toMatchObject({ constructor: GitHubUnavailableError, status: 0 }),
  },
  {
    name: "user not found (user: null, NOT_FOUND)",
    graphql: "user-not-found",
    requests: { mint: 1, graphql: 1 },
    expected: (e) => expect(e).toBeInstanceOf(GitHubUserNotFoundError),
  },
];

describe("collectAuditSignals failures", () => {
  it.each(cases)(
    "$name: typed error, and no token, JWT or key in it, its causes or the logs",
    async (c) => {
      const { fake, github, lines, mints, secrets, installationId } = arrange();
      if (c.installation) fake.state.installationModes.set(installationId, c.installation);
      if (c.graphql) fake.state.graphqlModes.set("octocat", c.graphql);

      const before = Date.now();
      const error = await github.collectAuditSignals({ installationId, login: "octocat" }).then(
        () => expect.unreachable("the audit should have failed"),
        (thrown: unknown) => thrown,
      );
      const after = Date.now();

      c.expected(error, fake.state, { before, after });
      expect((error as Error).message).toMatch(/^\[(github|audit)\] /);
      // Only derived facts are attached, never the Octokit error (it holds the request).
      expect(causeChain(error)).toHaveLength(1);
      expect(fake.state.requests).toMatchObject(c.requests);
      expect(mints).toHaveLength(c.installation ? 0 : 1);

      const found = secrets();
      // The scan below means something only if there was something to find.
      expect(found.length).toBeGreaterThan(c.installation ? 1 : 2);
      const texts = [...renderings(error), ...lines];
      expect(found.filter((secret) => texts.some((text) => text.includes(secret)))).toEqual([]);
      if (!(error instanceof GitHubUserNotFoundError)) {
        expect(lines.some((line) => line.includes("[github] audit request failed"))).toBe(true);
      }
    },
  );
});
