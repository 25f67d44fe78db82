import { http, HttpResponse, type RequestHandler } from "msw";
import {
  CANDIDATE_QUERY,
  LABEL_GROUPS,
  MAX_SEARCH_QUERY_LENGTH,
} from "../../src/recommendations/candidate-query.ts";
import { NEWCOMER_LABELS } from "../../src/recommendations/rank.ts";
import { findIssuedToken } from "./github-msw-auth.ts";
import { rateLimitHeaders, type FakeContext } from "./github-msw.ts";

/** An issue in the fake GitHub, per repository full name (`state.issues`). */
export interface FakeIssue {
  databaseId: number;
  number: number;
  title: string;
  labels: string[];
  state?: "open" | "closed";
  assignees?: number;
  createdAt?: string;
  updatedAt?: string;
  /** The repository's primary language. */
  language?: string | null;
}

// The repo: qualifiers, then exactly the qualifiers buildCandidateSearches writes.
const SEARCH = /^((?:repo:\S+ )+)is:issue is:open no:assignee sort:updated-desc label:(\S.*)$/;
const LABEL = /^(?:"([^"]+)"|([a-z0-9-]+))$/;
const newcomer = new Set(NEWCOMER_LABELS);

/** The labels of a `label:` clause, or null when one is not a newcomer label or is misquoted. */
function parseLabels(clause: string): string[] | null {
  const labels = clause.split(",").map((part) => LABEL.exec(part)?.slice(1).find(Boolean));
  return labels.every((l): l is string => l !== undefined && newcomer.has(l)) ? labels : null;
}

/**
 * GitHub's issue search for CANDIDATE_QUERY: the token's installation sees only its own
 * repositories; open, unassigned issues with one of the query's labels match, most recently
 * updated first, at most 100. Any other GraphQL document falls through to the next handler.
 */
export function issueSearchHandlers(graphqlUrl: string, context: FakeContext): RequestHandler[] {
  const { state } = context;
  return [
    http.post(graphqlUrl, async ({ request }) => {
      const body = (await request.clone().json()) as {
        query?: unknown;
        variables?: Record<string, unknown>;
      };
      if (body.query !== CANDIDATE_QUERY) return undefined;
      const refused = await context.admit("issue-search", request);
      if (refused) return refused;
      const limited = state.issueSearchLimits.shift();
      if (limited)
        return HttpResponse.json(
          { message: "API rate limit exceeded for installation." },
          { status: limited, headers: rateLimitHeaders(state) },
        );
      const issued = findIssuedToken(state.issuedTokens, request.headers.get("authorization"))!;
      const reachable = new Set(
        (state.repositories.get(issued.installationId) ?? []).map((r) => r.full_name.toLowerCase()),
      );
      // One aliased search per label group: g<i> answers variable q<i>.
      const data: Record<string, unknown> = {};
      for (let i = 0; i < LABEL_GROUPS.length; i++) {
        const search = String(body.variables?.[`q${i}`]);
        const answer = searchAnswer(state, reachable, search);
        if (!answer) {
          state.rejections.push(`an issue search GitHub would refuse or misread: ${search}`);
          return HttpResponse.json({ errors: [{ message: "bad search" }] }, { status: 422 });
        }
        data[`g${i}`] = answer;
      }
      return HttpResponse.json({ data });
    }),
  ];
}

/** One search's answer, or null for a search GitHub would refuse or this fake cannot read. */
function searchAnswer(state: FakeContext["state"], reachable: Set<string>, search: string) {
  const match = SEARCH.exec(search);
  const labels = match ? parseLabels(match[2]!) : null;
  if (search.length > MAX_SEARCH_QUERY_LENGTH || !match || !labels) return null;
  const named = match[1]!
    .trim()
    .split(" ")
    .map((q) => q.replace(/^repo:/, "").toLowerCase());
  const wanted = new Set(labels);
  const nodes = [...state.issues]
    .filter(([repo]) => named.includes(repo.toLowerCase()) && reachable.has(repo.toLowerCase()))
    .flatMap(([repo, issues]) => issues.map((issue) => ({ repo, issue })))
    .filter(
      ({ issue }) =>
        (issue.state ?? "open") === "open" &&
        !issue.assignees &&
        issue.labels.some((l) => wanted.has(l.toLowerCase())),
    )
    .sort((a, b) => (b.issue.updatedAt ?? "").localeCompare(a.issue.updatedAt ?? ""))
    .slice(0, 100)
    .map(({ repo, issue }) => ({
      databaseId: issue.databaseId,
      number: issue.number,
      title: issue.title,
      url: `https://github.com/${repo}/issues/${issue.number}`,
      createdAt: issue.createdAt ?? "2026-11-01T00:00:00Z",
      updatedAt: issue.updatedAt ?? "2026-11-20T00:00:00Z",
      labels: { nodes: issue.labels.map((name) => ({ name })) },
      assignees: { totalCount: issue.assignees ?? 0 },
      repository: {
        nameWithOwner: repo,
        primaryLanguage: issue.language ? { name: issue.language } : null,
      },
    }));
  return { issueCount: nodes.length, nodes };
}
