import { describe, expect, it } from "vitest";
import {
  GitHubRateLimitError,
  GitHubRequestError,
  GitHubUnavailableError,
  InstallationUnavailableError,
} from "../../src/github/github-errors.ts";
import { rateLimitResetAt, toGitHubError } from "../../src/github/to-github-error.ts";

// Cases the fake GitHub cannot reach cheaply; errors shaped like Octokit's (matched by shape).
const NOW = Date.parse("2025-06-01T00:00:00Z");
const API = "https://api.github.com";

function httpError(status: number, headers: Record<string, string> = {}, url = `${API}/graphql`) {
  return Object.assign(new Error("x"), {
    name: "HttpError",
    status,
    request: { url },
    response: { headers },
  });
}

describe("toGitHubError", () => {
  it("treats a 401 on the API call as a revoked token: the installation is gone", () => {
    expect(toGitHubError(httpError(401), 7, NOW)).toMatchObject({
      constructor: InstallationUnavailableError,
      installationId: 7,
      status: 401,
    });
  });

  it("treats 429 as a rate limit even without headers, and a plain 403 as a refusal", () => {
    expect(toGitHubError(httpError(429), 7, NOW)).toMatchObject({
      constructor: GitHubRateLimitError,
      resetAt: new Date(NOW + 60_000),
    });
    expect(toGitHubError(httpError(403), 7, NOW)).toMatchObject({
      constructor: GitHubRequestError,
      status: 403,
    });
  });

  it("reads a rate limit on the token exchange before calling the installation unavailable", () => {
    const reset = String(NOW / 1000 + 900);
    const error = httpError(
      403,
      { "x-ratelimit-remaining": "0", "x-ratelimit-reset": reset },
      `${API}/app/installations/7/access_tokens`,
    );
    expect(toGitHubError(error, 7, NOW)).toMatchObject({
      constructor: GitHubRateLimitError,
      resetAt: new Date(NOW + 900_000),
    });
  });

  it("keeps GraphQL errors other than RATE_LIMITED as a refusal naming their types", () => {
    const error = Object.assign(new Error("x"), {
      name: "GraphqlResponseError",
      errors: [{ type: "FORBIDDEN" }],
      headers: {},
    });
    expect(toGitHubError(error, 7, NOW)).toMatchObject({
      constructor: GitHubRequestError,
      graphqlTypes: ["FORBIDDEN"],
    });
  });

  it("reports no answer at all as status 0", () => {
    const error = Object.assign(new Error("fetch failed"), {
      name: "HttpError",
      status: 500,
      request: { url: API },
    });
    expect(toGitHubError(error, 7, NOW)).toMatchObject({
      constructor: GitHubUnavailableError,
      status: 0,
    });
  });

  it("scrubs anything else it passes on", () => {
    const token = `ghs_${"A1".repeat(18)}`;
    const passed = toGitHubError(new TypeError(`bad ${token}`), 7, NOW) as Error;
    expect(passed).toBeInstanceOf(TypeError);
    expect(passed.message).not.toContain(token);
  });
});

describe("rateLimitResetAt", () => {
  it("prefers retry-after (seconds or HTTP date) over x-ratelimit-reset", () => {
    const headers = {
      "retry-after": "30",
      "x-ratelimit-remaining": "0",
      "x-ratelimit-reset": String(NOW / 1000 + 900),
    };
    expect(rateLimitResetAt(headers, NOW)).toEqual(new Date(NOW + 30_000));
    expect(rateLimitResetAt({ "retry-after": "Sun, 01 Jun 2025 00:02:00 GMT" }, NOW)).toEqual(
      new Date(NOW + 120_000),
    );
  });

  it("ignores x-ratelimit-reset while requests remain", () => {
    expect(
      rateLimitResetAt({ "x-ratelimit-remaining": "12", "x-ratelimit-reset": "1748736000" }, NOW),
    ).toBeUndefined();
  });
});
