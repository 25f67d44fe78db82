import { getOperationAST, getVariableValues, parse, visit } from "graphql";
import { describe, expect, it } from "vitest";
import {
  buildCandidateSearches,
  CANDIDATE_QUERY,
  LABEL_GROUPS,
  MAX_SEARCH_QUERY_LENGTH,
  searchVariables,
} from "../../src/recommendations/candidate-query.ts";
import { NEWCOMER_LABELS } from "../../src/recommendations/rank.ts";
import { fetchCandidates } from "../../src/recommendations/fetch-candidates.ts";
import { githubSchema } from "../support/github-graphql-fixtures.ts";
import { githubValidationErrors } from "../support/github-graphql-validation.ts";

describe("CANDIDATE_QUERY against GitHub's published schema", () => {
  it("validates with zero errors", () => {
    expect(githubValidationErrors(CANDIDATE_QUERY)).toEqual([]);
  });

  it("catches a misspelled field and an unpaginated connection (negative controls)", () => {
    const misspelled = CANDIDATE_QUERY.replace("databaseId", "databaseID");
    expect(githubValidationErrors(misspelled)).toContainEqual(
      expect.stringContaining('Cannot query field "databaseID" on type "Issue"'),
    );
    const unpaginated = CANDIDATE_QUERY.replace("labels(first: 20)", "labels");
    expect(githubValidationErrors(unpaginated)).toEqual([
      'connection "labels" needs first or last within 1-100',
    ]);
  });

  it("is one search per label group whose text arrives only as a variable of the declared type", () => {
    const document = parse(CANDIDATE_QUERY);
    let searches = 0;
    let literals = 0;
    visit(document, {
      Field: (node) => void (node.name.value === "search" && searches++),
      StringValue: () => void literals++,
    });
    expect({ searches, literals }).toEqual({ searches: LABEL_GROUPS.length, literals: 0 });
    const operation = getOperationAST(document)!;
    const [batch] = buildCandidateSearches(["acme/widgets"]);
    const coerced = getVariableValues(
      githubSchema(),
      operation.variableDefinitions ?? [],
      searchVariables(batch!),
    );
    expect(coerced.errors).toBeUndefined();
  });

  it("names no variable @octokit/graphql reserves for itself (it refuses query, method, url)", () => {
    const declared = (getOperationAST(parse(CANDIDATE_QUERY))!.variableDefinitions ?? []).map(
      (d) => d.variable.name.value,
    );
    expect(declared).toEqual(LABEL_GROUPS.map((_, i) => `q${i}`));
  });
});

describe("buildCandidateSearches", () => {
  it("searches open, unassigned, newcomer-labelled issues in the named repositories, once per label group", () => {
    const q =
      "repo:acme/gadgets repo:acme/widgets is:issue is:open no:assignee sort:updated-desc label:";
    expect(buildCandidateSearches(["acme/widgets", "acme/gadgets", "acme/widgets"])).toEqual([
      {
        repositories: ["acme/gadgets", "acme/widgets"],
        queries: [
          `${q}"good first issue",good-first-issue,"good first bug",easy`,
          `${q}first-timers-only,beginner,"beginner friendly",starter`,
          `${q}beginner-friendly,"help wanted",help-wanted,up-for-grabs`,
        ],
      },
    ]);
  });

  it("covers every newcomer label exactly once across the label groups", () => {
    expect(LABEL_GROUPS.flat().sort()).toEqual([...NEWCOMER_LABELS].sort());
  });

  it("chunks many repositories into queries within GitHub's length limit, covering each once", () => {
    const repos = Array.from({ length: 60 }, (_, i) => `some-organisation/repository-${i}`);
    const batches = buildCandidateSearches(repos);
    expect(batches.length).toBeGreaterThan(1);
    for (const b of batches) {
      expect(b.queries).toHaveLength(LABEL_GROUPS.length);
      for (const q of b.queries) {
        expect(q.length).toBeLessThanOrEqual(MAX_SEARCH_QUERY_LENGTH);
        expect(q.match(/repo:/g)).toHaveLength(b.repositories.length);
      }
    }
    expect(batches.flatMap((b) => b.repositories).sort()).toEqual([...repos].sort());
  });

  it("fits the longest name GitHub allows in one query", () => {
    const longest = `${"o".repeat(39)}/${"r".repeat(100)}`;
    const [batch, ...rest] = buildCandidateSearches([longest]);
    expect(rest).toEqual([]);
    for (const q of batch!.queries) expect(q.length).toBeLessThanOrEqual(MAX_SEARCH_QUERY_LENGTH);
  });

  it.each([
    ["a qualifier", "acme/widgets is:closed"],
    ["an OR", "acme/a OR repo:evil/b"],
    ["a quote", 'acme/"x'],
    ["no owner", "widgets"],
    ["a dot-dot name", "acme/.."],
  ])("leaves out a name with %s rather than pasting it into search syntax", (_why, name) => {
    const batches = buildCandidateSearches([name, "acme/ok"]);
    expect(batches.map((b) => b.repositories)).toEqual([["acme/ok"]]);
  });

  it("makes no search at all for no repositories", () => {
    expect(buildCandidateSearches([])).toEqual([]);
  });
});

describe("fetchCandidates", () => {
  const node = (overrides: Record<string, unknown> = {}) => ({
    databaseId: 9001,
    number: 7,
    title: "Document the flags",
    url: "https://github.com/Acme/Widgets/issues/7",
    createdAt: "2026-11-01T00:00:00Z",
    updatedAt: "2026-11-20T00:00:00Z",
    labels: { nodes: [{ name: "good first issue" }, null] },
    assignees: { totalCount: 0 },
    repository: { nameWithOwner: "Acme/Widgets", primaryLanguage: { name: "Rust" } },
    ...overrides,
  });

  it("sends one request per batch, with a search per label group, and maps issues, keeping the installation's spelling of the name", async () => {
    const sent: unknown[] = [];
    const graphql = async (query: string, variables: Record<string, string>) => {
      sent.push({ query, variables });
      const search = {
        issueCount: 3,
        nodes: [
          node(),
          {},
          node({
            databaseId: 9002,
            repository: { nameWithOwner: "other/repo", primaryLanguage: null },
          }),
          node({ databaseId: 9003, number: 8, assignees: { totalCount: 1 }, labels: null }),
        ],
      };
      return Object.fromEntries(LABEL_GROUPS.map((_, i) => [`g${i}`, search]));
    };
    const issues = await fetchCandidates(graphql, ["acme/widgets"]);
    // One request; the same issues answered by every label group's search are stored once.
    expect(sent).toEqual([
      {
        query: CANDIDATE_QUERY,
        variables: searchVariables(buildCandidateSearches(["acme/widgets"])[0]!),
      },
    ]);
    expect(issues).toEqual([
      {
        github_issue_id: 9001,
        repo_full_name: "acme/widgets",
        number: 7,
        title: "Document the flags",
        html_url: "https://github.com/Acme/Widgets/issues/7",
        language: "Rust",
        labels: ["good first issue"],
        created_at: "2026-11-01T00:00:00Z",
        updated_at: "2026-11-20T00:00:00Z",
        assigned: false,
      },
      expect.objectContaining({ github_issue_id: 9003, labels: [], assigned: true }),
    ]);
  });

  it("refuses an answer of another shape instead of storing nothing as if GitHub had no issues", async () => {
    await expect(fetchCandidates(async () => ({ nope: true }), ["acme/widgets"])).rejects.toThrow(
      /^\[recommendations\] /,
    );
  });
});
