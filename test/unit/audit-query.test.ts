import { getOperationAST, getVariableValues, parse, visit } from "graphql";
import { describe, expect, it } from "vitest";
import { AUDIT_QUERY, buildAuditQueryVariables } from "../../src/audit/audit-query.ts";
import { InvalidGitHubLoginError } from "../../src/audit/audit-errors.ts";
import { githubSchema } from "../support/github-graphql-fixtures.ts";
import { validateAgainstGitHub } from "../support/github-graphql-validation.ts";
import { CONTRIBUTIONS_QUERY } from "../support/github-msw-rest.ts";

function captureError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected a throw");
}

describe("AUDIT_QUERY against GitHub's published schema", () => {
  it("validates with zero errors", () => {
    expect(validateAgainstGitHub(AUDIT_QUERY).map((e) => e.message)).toEqual([]);
  });

  it("so does every other document the project sends (the benchmark baseline's query)", () => {
    expect(validateAgainstGitHub(CONTRIBUTIONS_QUERY).map((e) => e.message)).toEqual([]);
  });

  it("catches a misspelled field (negative control)", () => {
    const broken = AUDIT_QUERY.replace("followers(first: 1)", "folowers(first: 1)");
    expect(broken).not.toBe(AUDIT_QUERY);
    expect(validateAgainstGitHub(broken).map((e) => e.message)).toContainEqual(
      expect.stringContaining('Cannot query field "folowers" on type "User"'),
    );
  });

  it("catches an unpaginated connection (negative control)", () => {
    const broken = AUDIT_QUERY.replace("followers(first: 1)", "followers");
    expect(validateAgainstGitHub(broken).map((e) => e.message)).toEqual([
      'connection "followers" needs first or last within 1-100',
    ]);
  });

  it("is one operation that puts every search in a single request", () => {
    const document = parse(AUDIT_QUERY);
    expect(document.definitions).toHaveLength(1);
    const searches: string[] = [];
    visit(document, {
      Field(node) {
        if (node.name.value === "search") searches.push(node.alias?.value ?? "search");
      },
    });
    expect(searches).toEqual(["mergedPrs", "mergedPrsExternal", "closedIssues"]);
  });

  it("has no string literal: user-controlled text can only arrive as variables", () => {
    let literals = 0;
    visit(parse(AUDIT_QUERY), { StringValue: () => void literals++ });
    expect(literals).toBe(0);
  });
});

describe("buildAuditQueryVariables", () => {
  const operation = getOperationAST(parse(AUDIT_QUERY));
  if (!operation) throw new Error("AUDIT_QUERY has no operation");

  it("supplies exactly the declared variables, with values of the declared types", () => {
    const variables = buildAuditQueryVariables("octocat");
    const declared = (operation.variableDefinitions ?? []).map((d) => d.variable.name.value);
    expect(Object.keys(variables).sort()).toEqual([...declared].sort());
    const coerced = getVariableValues(
      githubSchema(),
      operation.variableDefinitions ?? [],
      variables,
    );
    expect(coerced.errors).toBeUndefined();
  });

  it("a wrongly typed variable is caught by the same check (negative control)", () => {
    const coerced = getVariableValues(githubSchema(), operation.variableDefinitions ?? [], {
      ...buildAuditQueryVariables("octocat"),
      login: 42,
    });
    expect(coerced.errors?.map((e) => e.message)).toEqual([
      expect.stringContaining('Variable "$login" got invalid value 42'),
    ]);
  });

  it("builds the three search strings from the login", () => {
    expect(buildAuditQueryVariables("Octo-Cat9")).toEqual({
      login: "Octo-Cat9",
      mergedPrsQuery: "author:Octo-Cat9 is:pr is:merged",
      mergedPrsExternalQuery: "author:Octo-Cat9 is:pr is:merged -user:Octo-Cat9",
      closedIssuesQuery: "author:Octo-Cat9 is:issue is:closed",
    });
  });

  it.each(["a", "octocat", "a-b", "a1-b2-c3", "x".repeat(39), "0"])("accepts %j", (login) => {
    expect(buildAuditQueryVariables(login).login).toBe(login);
  });

  it.each([
    ["empty", ""],
    ["too long", "x".repeat(40)],
    ["leading hyphen", "-octocat"],
    ["trailing hyphen", "octocat-"],
    ["double hyphen", "octo--cat"],
    ["qualifier injection", "octocat is:open"],
    ["negated qualifier", "octocat -user:octocat"],
    ["OR injection", "a OR author:b"],
    ["newline", "octocat\n"],
    ["underscore", "octo_cat"],
    ["full-width letters", "ｏｃｔｏ"],
    ["a bot account", "dependabot[bot]"],
  ])("rejects %s", (_why, login) => {
    expect(() => buildAuditQueryVariables(login)).toThrow(InvalidGitHubLoginError);
    expect(() => buildAuditQueryVariables(login)).toThrow(/^\[audit\] /);
  });

  it("does not echo the rejected value in the message", () => {
    const error = captureError(() => buildAuditQueryVariables("evil is:secret"));
    expect(error).toBeInstanceOf(InvalidGitHubLoginError);
    expect(String(error)).not.toContain("evil");
  });
});
