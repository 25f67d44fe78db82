import { http, HttpResponse, type RequestHandler } from "msw";
import { buildAuditQueryVariables } from "../../src/audit/audit-query.ts";
import { auditGraphqlResponse } from "./github-graphql-fixtures.ts";
import type { FakeContext } from "./github-msw.ts";

/**
 * REST endpoints for the benchmark's baseline only: one REST call per signal. Every answer is derived from the same auditGraphqlResponse fixture as
 * the GraphQL answer, so both ways of auditing must produce equal AuditSignals.
 */

/** The baseline's separate GraphQL call: contributions have no REST endpoint. */
export const CONTRIBUTIONS_QUERY = /* GraphQL */ `
  query Contributions($login: String!) {
    user(login: $login) {
      contributionsCollection {
        contributionCalendar {
          totalContributions
        }
      }
    }
  }
`;

const notFound = () =>
  HttpResponse.json(
    { message: "Not Found", documentation_url: "https://docs.github.com/rest" },
    { status: 404 },
  );

export function restHandlers({ state, baseUrl, admit }: FakeContext): RequestHandler[] {
  const fixture = (login: string) => auditGraphqlResponse(state.users.get(login) ?? {}).data;

  return [
    http.get(`${baseUrl}/users/:login`, async ({ request, params }) => {
      const refused = await admit("rest-user", request);
      if (refused) return refused;
      const login = String(params.login);
      const { user } = fixture(login);
      if (!user) return notFound();
      return HttpResponse.json({
        login,
        type: "User",
        created_at: user.createdAt,
        followers: user.followers.totalCount,
      });
    }),

    http.get(`${baseUrl}/search/issues`, async ({ request }) => {
      const refused = await admit("rest-search", request);
      if (refused) return refused;
      const q = new URL(request.url).searchParams.get("q") ?? "";
      const login = /(?:^|\s)author:(\S+)/.exec(q)?.[1] ?? "";
      const queries = buildAuditQueryVariables(login);
      const data = fixture(login);
      const count =
        q === queries.mergedPrsQuery
          ? data.mergedPrs.issueCount
          : q === queries.mergedPrsExternalQuery
            ? data.mergedPrsExternal.issueCount
            : q === queries.closedIssuesQuery
              ? data.closedIssues.issueCount
              : undefined;
      if (count === undefined)
        return HttpResponse.json({ message: "Validation Failed" }, { status: 422 });
      return HttpResponse.json({ total_count: count, incomplete_results: false, items: [] });
    }),

    http.get(`${baseUrl}/users/:login/repos`, async ({ request, params }) => {
      const refused = await admit("rest-repos", request);
      if (refused) return refused;
      const { user } = fixture(String(params.login));
      if (!user) return notFound();
      return HttpResponse.json(
        user.repositories.nodes.map((node, i) => ({
          id: i + 1,
          name: `repo-${i + 1}`,
          language: node.primaryLanguage?.name ?? null,
        })),
      );
    }),
  ];
}
