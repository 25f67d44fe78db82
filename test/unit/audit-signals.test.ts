import { describe, expect, it } from "vitest";
import { buildAuditQueryVariables } from "../../src/audit/audit-query.ts";
import { parseAuditSignals } from "../../src/audit/audit-signals.ts";
import { AuditResponseShapeError, GitHubUserNotFoundError } from "../../src/audit/audit-errors.ts";
import {
  auditGraphqlResponse,
  checkAuditResponseConformance,
} from "../support/github-graphql-fixtures.ts";

const NOW = new Date("2025-06-01T00:00:00Z");
const variables = buildAuditQueryVariables("octocat");

const REMOVE = Symbol("remove");

/** A deep copy of the fixture with the value at a dotted path replaced, or removed. */
function damaged([path, value]: [string, unknown]): unknown {
  const { data } = structuredClone(auditGraphqlResponse());
  const keys = path.split(".");
  const last = keys.pop()!;
  let target = data as Record<string, unknown>;
  for (const key of keys) target = target[key] as Record<string, unknown>;
  if (value === REMOVE) delete target[last];
  else target[last] = value;
  return data;
}

describe("the fixture", () => {
  it("is an answer GitHub's schema could give to AUDIT_QUERY", () => {
    expect(checkAuditResponseConformance(auditGraphqlResponse().data, variables).problems).toEqual(
      [],
    );
    expect(
      checkAuditResponseConformance(auditGraphqlResponse({ user: null }).data, variables).problems,
    ).toEqual([]);
  });

  it("wires each aliased search to its own variable, and the repository list to the requested order", () => {
    const { argumentsByPath } = checkAuditResponseConformance(
      auditGraphqlResponse().data,
      variables,
    );
    expect(argumentsByPath).toMatchObject({
      user: { login: "octocat" },
      mergedPrs: { type: "ISSUE", query: variables.mergedPrsQuery },
      mergedPrsExternal: { type: "ISSUE", query: variables.mergedPrsExternalQuery },
      closedIssues: { type: "ISSUE", query: variables.closedIssuesQuery },
      "user.repositories": {
        first: 100,
        ownerAffiliations: ["OWNER"],
        orderBy: { field: "PUSHED_AT", direction: "DESC" },
      },
    });
  });

  // Negative controls: the conformance check must be able to fail.
  it.each<[string, [string, unknown]]>([
    ["a string where GitHub sends an Int", ["user.followers.totalCount", "42"]],
    ["a non-integer count", ["mergedPrs.issueCount", 1.5]],
    ["a missing non-null field", ["user.createdAt", REMOVE]],
    ["a field the query does not select", ["user.email", "someone@example.com"]],
    ["an object where GitHub sends a list", ["user.repositories.nodes", {}]],
  ])("the conformance check rejects %s", (_why, edit) => {
    expect(checkAuditResponseConformance(damaged(edit), variables).problems).not.toEqual([]);
  });
});

describe("parseAuditSignals", () => {
  it("maps the fixture to the signals", () => {
    expect(parseAuditSignals(auditGraphqlResponse().data, NOW)).toEqual({
      accountAgeDays: 2270, // 2019-03-14T09:26:53Z → 2025-06-01, whole days
      mergedPrs: 88,
      mergedPrsExternal: 23,
      closedIssues: 15,
      distinctLanguages: 3, // TypeScript, Go, Rust; repositories without a language do not count
      yearlyContributions: 517,
      followers: 42,
      languages: ["Go", "Rust", "TypeScript"],
    });
  });

  it("counts an account created in the future (clock skew) as zero days old", () => {
    const data = auditGraphqlResponse({ createdAt: "2025-06-02T00:00:00Z" }).data;
    expect(parseAuditSignals(data, NOW).accountAgeDays).toBe(0);
  });

  it("accepts a user without repositories", () => {
    const signals = parseAuditSignals(auditGraphqlResponse({ languages: [] }).data, NOW);
    expect(signals.distinctLanguages).toBe(0);
    expect(signals.languages).toEqual([]);
  });

  it("accepts null list and items, as GitHub's schema allows them", () => {
    const data = damaged(["user.repositories.nodes", [null, { primaryLanguage: { name: "C" } }]]);
    expect(parseAuditSignals(data, NOW)).toMatchObject({ distinctLanguages: 1, languages: ["C"] });
    const noList = damaged(["user.repositories.nodes", null]);
    expect(parseAuditSignals(noList, NOW).distinctLanguages).toBe(0);
  });

  it("reports an unknown login with its own error type", () => {
    const data = auditGraphqlResponse({ user: null }).data;
    expect(() => parseAuditSignals(data, NOW)).toThrow(GitHubUserNotFoundError);
    expect(() => parseAuditSignals(data, NOW)).toThrow(/^\[audit\] GitHub user not found/);
  });

  it.each([
    ["no data at all", null],
    ["a missing search", damaged(["closedIssues", REMOVE])],
    ["a negative count", damaged(["mergedPrsExternal.issueCount", -1])],
    ["a count as a string", damaged(["user.followers.totalCount", "42"])],
    ["a fractional count", damaged(["closedIssues.issueCount", 2.5])],
    ["a missing user field", damaged(["user.contributionsCollection", REMOVE])],
    ["a creation date that is not ISO-8601", damaged(["user.createdAt", "yesterday"])],
    ["a language without a name", damaged(["user.repositories.nodes", [{ primaryLanguage: {} }]])],
  ])("rejects %s with a clear error", (_why, data) => {
    expect(() => parseAuditSignals(data, NOW)).toThrow(AuditResponseShapeError);
    expect(() => parseAuditSignals(data, NOW)).toThrow(/^\[audit\] GitHub's answer to AUDIT_QUERY/);
  });

  it("names the offending path in the message", () => {
    const data = damaged(["mergedPrsExternal.issueCount", -1]);
    expect(() => parseAuditSignals(data, NOW)).toThrow(/mergedPrsExternal\.issueCount/);
  });

  it("refuses an invalid clock instead of producing NaN", () => {
    expect(() => parseAuditSignals(auditGraphqlResponse().data, new Date(Number.NaN))).toThrow(
      /\[audit\] now/,
    );
  });
});
