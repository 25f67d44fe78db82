import { http, HttpResponse, type RequestHandler } from "msw";
import { findIssuedToken } from "./github-msw-auth.ts";
import type { FakeContext } from "./github-msw.ts";

/** A pull request as GET /repos/{owner}/{repo}/pulls/{n} answers it (the fields read here). */
export interface FakePullRequest {
  title: string;
  body: string | null;
  author: { login: string; id: number };
  /** `base.repo`; defaults to the repository in the URL, with `repositoryId`. */
  base?: { id: number; full_name: string };
  /** Which installation's token may see it; absent = any. */
  installationId?: number;
}

export type FakePullAnswer = FakePullRequest | "5xx" | "rate-limited";

export interface FakePullsState {
  /** Keyed by `owner/repo#n` (lower case); absent = 404. */
  pulls: Map<string, FakePullAnswer>;
  /** Repository ids by `owner/repo` (lower case), for `base.repo.id`. */
  repositoryIds: Map<string, number>;
}

export const pullKey = (owner: string, repo: string, n: number) =>
  `${owner}/${repo}#${n}`.toLowerCase();

const DOCS = "https://docs.github.com/rest/pulls/pulls#get-a-pull-request";

export function pullHandlers({ state, baseUrl, admit }: FakeContext): RequestHandler[] {
  return [
    http.get(`${baseUrl}/repos/:owner/:repo/pulls/:number`, async ({ request, params }) => {
      const refused = await admit("rest-pulls", request);
      if (refused) return refused;
      const owner = String(params.owner);
      const repo = String(params.repo);
      const answer = state.pulls.get(pullKey(owner, repo, Number(params.number)));
      const issued = findIssuedToken(state.issuedTokens, request.headers.get("authorization"))!;
      if (answer === "5xx") return HttpResponse.json({ message: "Server Error" }, { status: 502 });
      if (answer === "rate-limited") {
        return HttpResponse.json(
          { message: "API rate limit exceeded for installation.", documentation_url: DOCS },
          {
            status: 403,
            headers: {
              "x-ratelimit-remaining": "0",
              "x-ratelimit-reset": String(state.rateLimitResetEpoch),
            },
          },
        );
      }
      if (
        !answer ||
        (answer.installationId !== undefined && answer.installationId !== issued.installationId)
      )
        return HttpResponse.json(
          { message: "Not Found", documentation_url: DOCS },
          { status: 404 },
        );
      const fullName = `${owner}/${repo}`;
      return HttpResponse.json({
        number: Number(params.number),
        title: answer.title,
        body: answer.body,
        state: "open",
        user: { login: answer.author.login, id: answer.author.id, type: "User" },
        base: {
          ref: "main",
          repo: answer.base ?? {
            id: state.repositoryIds.get(fullName.toLowerCase()) ?? 1,
            full_name: fullName,
          },
        },
      });
    }),
  ];
}
