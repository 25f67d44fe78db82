import { deliveryHandlers, type FakeDeliveriesState } from "./github-msw-deliveries.ts";
import { isDeepStrictEqual } from "node:util";
import { delay, http, HttpResponse, type RequestHandler } from "msw";
import { AUDIT_QUERY, buildAuditQueryVariables } from "../../src/audit/audit-query.ts";
import { auditGraphqlResponse, type AuditFixtureOverrides } from "./github-graphql-fixtures.ts";
import {
  createAppJwtVerifier,
  findIssuedToken,
  randomAlphanumeric,
  type IssuedToken,
} from "./github-msw-auth.ts";
import { pullHandlers, type FakePullsState } from "./github-msw-pulls.ts";
import { CONTRIBUTIONS_QUERY, restHandlers } from "./github-msw-rest.ts";
import { issueSearchHandlers, type FakeIssue } from "./github-msw-issues.ts";

export type InstallationMode = "ok" | "gone" | "suspended" | "5xx";
export type GraphqlMode =
  | "ok"
  | "rate-limited"
  | "secondary-rate-limited"
  | "graphql-rate-limited"
  | "5xx"
  | "network"
  | "user-not-found";
export type RequestKind =
  | "mint"
  | "graphql"
  | "rest-user"
  | "rest-search"
  | "rest-repos"
  | "rest-pulls"
  | "installation-repos"
  | "org-members"
  | "issue-search";

/** A repository as GET /installation/repositories lists it (the fields this service reads). */
export interface FakeRepository {
  id: number;
  full_name: string;
  private: boolean;
}

export interface FakeGitHubState extends FakeDeliveriesState, FakePullsState {
  /** Per installation id; absent = "ok". */
  installationModes: Map<number, InstallationMode>;
  /** Per login; absent = "ok". */
  graphqlModes: Map<string, GraphqlMode>;
  /** GET /installation/repositories per installation; absent = none. */
  repositories: Map<number, FakeRepository[]>;
  /**
   * GET /orgs/{org}/members per organisation login: the members' GitHub ids, or "forbidden"
   * (the App lacks the Members permission: 403). Absent = 404, as for an unknown org.
   */
  orgMembers: Map<string, number[] | "forbidden">;
  /** Issues per repository full name, for the candidate search; absent = none. */
  issues: Map<string, FakeIssue[]>;
  /**
   * How the next issue searches are refused, one entry per search (then they answer):
   * GitHub's primary limit as 403 or 429, with `x-ratelimit-remaining: 0` and the reset.
   */
  issueSearchLimits: (403 | 429)[];
  /** What auditGraphqlResponse answers for a login; absent = its defaults. */
  users: Map<string, AuditFixtureOverrides>;
  /** `x-ratelimit-reset` (epoch seconds) of every rate-limited answer. */
  rateLimitResetEpoch: number;
  requests: Record<RequestKind, number>;
  /** Successful token exchanges per installation. */
  mints: Map<number, number>;
  /** Every token issued and every App JWT accepted: what tests scan outputs for. */
  issuedTokens: IssuedToken[];
  appJwts: string[];
  /** The `authorization` header of every request, in arrival order. */
  authorizations: { kind: RequestKind; header: string | null }[];
  /** Why the fake refused a request the client should never have sent; tests assert it is empty. */
  rejections: string[];
}

export interface FakeGitHubOptions {
  /** As the client is configured: https://api.github.com or https://HOST/api/v3. */
  baseUrl: string;
  appId: string;
  publicKeyPem: string;
  /** Added to every answer, like a real round trip. */
  latencyMs?: number;
}

/** Where GitHub serves GraphQL for a REST base URL (GHES: /api/v3 -> /api/graphql). */
export function graphqlUrlFor(baseUrl: string): string {
  const trimmed = baseUrl.replace(/\/+$/, "");
  return /\/api\/v3$/.test(trimmed)
    ? trimmed.replace(/\/api\/v3$/, "/api/graphql")
    : `${trimmed}/graphql`;
}

/** Shared with the REST handlers. */
export interface FakeContext {
  state: FakeGitHubState;
  baseUrl: string;
  /** Counts the request, waits the latency, and checks `token <issued token>`; a Response means refused. */
  admit: (kind: RequestKind, request: Request) => Promise<Response | undefined>;
}

const TOKEN_LIFETIME_MS = 3_600_000;
const DOCS = "https://docs.github.com/rest";

export function createFakeGitHub(options: FakeGitHubOptions): {
  handlers: RequestHandler[];
  state: FakeGitHubState;
} {
  const baseUrl = options.baseUrl.replace(/\/+$/, "");
  const verifyJwt = createAppJwtVerifier(options.appId, options.publicKeyPem);
  const state: FakeGitHubState = {
    installationModes: new Map(),
    graphqlModes: new Map(),
    repositories: new Map(),
    orgMembers: new Map(),
    pulls: new Map(),
    repositoryIds: new Map(),
    issues: new Map(),
    issueSearchLimits: [],
    hookDeliveries: [],
    redeliveryRequests: [],
    deliveryCursors: [],
    users: new Map(),
    rateLimitResetEpoch: Math.floor(Date.now() / 1000) + 1800,
    requests: {
      mint: 0,
      graphql: 0,
      "rest-user": 0,
      "rest-search": 0,
      "rest-repos": 0,
      "rest-pulls": 0,
      "installation-repos": 0,
      "org-members": 0,
      "issue-search": 0,
    },
    mints: new Map(),
    issuedTokens: [],
    appJwts: [],
    authorizations: [],
    rejections: [],
  };
  const refuse = (why: string, status = 401) => {
    state.rejections.push(why);
    return HttpResponse.json(
      { message: status === 401 ? "Bad credentials" : why, documentation_url: DOCS },
      { status },
    );
  };
  const arrive = async (kind: RequestKind, request: Request) => {
    state.requests[kind] += 1;
    state.authorizations.push({ kind, header: request.headers.get("authorization") });
    if (options.latencyMs) await delay(options.latencyMs);
  };
  const context: FakeContext = {
    state,
    baseUrl,
    async admit(kind, request) {
      await arrive(kind, request);
      const header = request.headers.get("authorization");
      return findIssuedToken(state.issuedTokens, header)
        ? undefined
        : refuse(`${kind} without a live issued token`);
    },
  };

  const mint = http.post(
    `${baseUrl}/app/installations/:id/access_tokens`,
    async ({ request, params }) => {
      await arrive("mint", request);
      const verified = await verifyJwt(request.headers.get("authorization"));
      if ("problem" in verified) return refuse(verified.problem);
      state.appJwts.push(verified.jwt);
      const installationId = Number(params.id);
      switch (state.installationModes.get(installationId) ?? "ok") {
        case "gone":
          return HttpResponse.json(
            { message: "Not Found", documentation_url: DOCS },
            { status: 404 },
          );
        case "suspended":
          return HttpResponse.json(
            { message: "This installation has been suspended", documentation_url: DOCS },
            { status: 403 },
          );
        case "5xx":
          return HttpResponse.json({ message: "Server Error" }, { status: 500 });
        case "ok": {
          const issued = {
            token: `ghs_${randomAlphanumeric(36)}`,
            installationId,
            expiresAt: new Date(Date.now() + TOKEN_LIFETIME_MS),
          };
          state.issuedTokens.push(issued);
          state.mints.set(installationId, (state.mints.get(installationId) ?? 0) + 1);
          return HttpResponse.json(
            {
              token: issued.token,
              expires_at: issued.expiresAt.toISOString(),
              permissions: { metadata: "read" },
              repository_selection: "all",
            },
            { status: 201 },
          );
        }
      }
    },
  );

  const graphql = http.post(graphqlUrlFor(baseUrl), async ({ request }) => {
    const refused = await context.admit("graphql", request);
    if (refused) return refused;
    const { query, variables } = (await request.json()) as {
      query?: unknown;
      variables?: Record<string, unknown>;
    };
    const login = String(variables?.login);
    if (query === CONTRIBUTIONS_QUERY) return HttpResponse.json(contributionsAnswer(state, login));
    if (query !== AUDIT_QUERY) return refuse("a query other than AUDIT_QUERY", 400);
    let expected: unknown;
    try {
      expected = buildAuditQueryVariables(login);
    } catch {
      return refuse("a login buildAuditQueryVariables refuses", 400);
    }
    if (!isDeepStrictEqual(variables, expected))
      return refuse("variables not built by buildAuditQueryVariables", 400);
    return graphqlAnswer(state, login);
  });

  // The token decides which installation's repositories are listed, as on GitHub.
  const installationRepos = http.get(
    `${baseUrl}/installation/repositories`,
    async ({ request }) => {
      const refused = await context.admit("installation-repos", request);
      if (refused) return refused;
      const issued = findIssuedToken(state.issuedTokens, request.headers.get("authorization"))!;
      const repositories = state.repositories.get(issued.installationId) ?? [];
      return HttpResponse.json({
        total_count: repositories.length,
        repository_selection: "selected",
        repositories: repositories.map((r) => ({ ...r, name: r.full_name.split("/")[1] })),
      });
    },
  );

  const orgMembers = http.get(`${baseUrl}/orgs/:org/members`, async ({ request, params }) => {
    const refused = await context.admit("org-members", request);
    if (refused) return refused;
    const members = state.orgMembers.get(String(params["org"]));
    if (members === "forbidden") {
      return HttpResponse.json(
        { message: "Resource not accessible by integration" },
        { status: 403 },
      );
    }
    if (!members) return HttpResponse.json({ message: "Not Found" }, { status: 404 });
    return HttpResponse.json(members.map((id) => ({ id, login: `member-${id}`, type: "User" })));
  });

  return {
    handlers: [
      mint,
      ...issueSearchHandlers(graphqlUrlFor(baseUrl), context),
      graphql,
      installationRepos,
      orgMembers,
      ...deliveryHandlers(baseUrl, state, async (authorization) => {
        const verified = await verifyJwt(authorization);
        if ("jwt" in verified) state.appJwts.push(verified.jwt);
        return verified;
      }),
      ...restHandlers(context),
      ...pullHandlers(context),
    ],
    state,
  };
}

export function rateLimitHeaders(state: FakeGitHubState): Record<string, string> {
  return {
    "x-ratelimit-limit": "5000",
    "x-ratelimit-remaining": "0",
    "x-ratelimit-used": "5000",
    "x-ratelimit-reset": String(state.rateLimitResetEpoch),
    "x-ratelimit-resource": "graphql",
  };
}

// GitHub reports NOT_FOUND at the `user` field's position in the query text.
const USER_LINE = AUDIT_QUERY.split("\n").findIndex((line) => line.includes("user(login:"));
const USER_LOCATION = {
  line: USER_LINE + 1,
  column: (AUDIT_QUERY.split("\n")[USER_LINE]?.indexOf("user") ?? 0) + 1,
};

function graphqlAnswer(state: FakeGitHubState, login: string): Response {
  switch (state.graphqlModes.get(login) ?? "ok") {
    case "rate-limited":
      return HttpResponse.json(
        { message: "API rate limit exceeded for installation.", documentation_url: DOCS },
        { status: 403, headers: rateLimitHeaders(state) },
      );
    case "secondary-rate-limited":
      return HttpResponse.json(
        { message: "You have exceeded a secondary rate limit.", documentation_url: DOCS },
        { status: 403, headers: { "retry-after": "60" } },
      );
    case "graphql-rate-limited":
      // The GraphQL API reports its primary limit as HTTP 200 with an error of type RATE_LIMITED.
      return HttpResponse.json(
        {
          errors: [{ type: "RATE_LIMITED", message: "API rate limit exceeded for installation." }],
        },
        { headers: rateLimitHeaders(state) },
      );
    case "5xx":
      return HttpResponse.json(
        {
          data: null,
          errors: [
            {
              message:
                "Something went wrong while executing your query. This may be the result of a timeout.",
            },
          ],
        },
        { status: 502 },
      );
    case "network":
      return HttpResponse.error();
    case "user-not-found": {
      // `user` is nullable, so the rest of the query still resolves; search finds nothing for an unknown author.
      const { data } = auditGraphqlResponse({
        user: null,
        mergedPrs: 0,
        mergedPrsExternal: 0,
        closedIssues: 0,
      });
      const message = `Could not resolve to a User with the login of '${login}'.`;
      return HttpResponse.json({
        data,
        errors: [{ type: "NOT_FOUND", path: ["user"], locations: [USER_LOCATION], message }],
      });
    }
    case "ok":
      return HttpResponse.json(auditGraphqlResponse(state.users.get(login) ?? {}));
  }
}

function contributionsAnswer(state: FakeGitHubState, login: string) {
  const { user } = auditGraphqlResponse(state.users.get(login) ?? {}).data;
  return { data: { user: user && { contributionsCollection: user.contributionsCollection } } };
}
