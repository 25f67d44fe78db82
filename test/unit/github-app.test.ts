import { decodeJwt } from "jose";
import { describe, expect, it } from "vitest";
import { InvalidGitHubLoginError } from "../../src/audit/audit-errors.ts";
import { githubAppFromEnv } from "../../src/github/github-app.ts";
import { APP_ID, useFakeGitHub } from "../support/github-app-harness.ts";

const NOW = new Date("2025-06-01T00:00:00Z");
const { arrange, privateKey: PRIVATE_KEY } = useFakeGitHub();

describe("createGitHubApp().collectAuditSignals", () => {
  it("mints one token, then sends one GraphQL request, with GitHub's exact auth headers", async () => {
    const { fake, github, mints, lines, secrets, installationId } = arrange();

    const signals = await github.collectAuditSignals({
      installationId,
      login: "octocat",
      now: NOW,
    });

    expect(signals).toEqual({
      accountAgeDays: 2270,
      mergedPrs: 88,
      mergedPrsExternal: 23,
      closedIssues: 15,
      distinctLanguages: 3,
      yearlyContributions: 517,
      followers: 42,
      languages: ["Go", "Rust", "TypeScript"],
    });
    expect(fake.state.requests).toMatchObject({ mint: 1, graphql: 1 });
    const [jwt] = fake.state.appJwts;
    const [issued] = fake.state.issuedTokens;
    expect(fake.state.authorizations).toEqual([
      { kind: "mint", header: `bearer ${jwt}` },
      { kind: "graphql", header: `token ${issued?.token}` },
    ]);
    const claims = decodeJwt(jwt!);
    expect(String(claims.iss)).toBe(APP_ID);
    expect(claims.exp! - claims.iat!).toBeLessThanOrEqual(600);
    expect(issued?.installationId).toBe(installationId);
    expect(mints).toEqual([installationId]);
    // Logged at trace level, where Octokit's request-log hands over request options with `authorization`.
    expect(lines.length).toBeGreaterThan(0);
    expect(secrets().filter((secret) => lines.some((line) => line.includes(secret)))).toEqual([]);
  });

  it("reuses the token for the next audit on the same installation: 1 mint, 2 GraphQL requests", async () => {
    const { fake, github, mints, installationId } = arrange();
    fake.state.users.set("hubot", { followers: 7, languages: ["Go"] });

    await github.collectAuditSignals({ installationId, login: "octocat", now: NOW });
    const second = await github.collectAuditSignals({ installationId, login: "hubot", now: NOW });

    expect(second).toMatchObject({ followers: 7, distinctLanguages: 1 });
    expect(fake.state.requests).toMatchObject({ mint: 1, graphql: 2 });
    expect(mints).toEqual([installationId]);
    const token = fake.state.issuedTokens[0]?.token;
    expect(
      fake.state.authorizations.filter((a) => a.kind === "graphql").map((a) => a.header),
    ).toEqual([`token ${token}`, `token ${token}`]);
  });

  it("shares one mint between concurrent first audits, and mints separately per installation", async () => {
    const { fake, github, installationId } = arrange();
    const other = installationId + 500;

    await Promise.all([
      ...Array.from({ length: 5 }, () =>
        github.collectAuditSignals({ installationId, login: "octocat", now: NOW }),
      ),
      github.collectAuditSignals({ installationId: other, login: "octocat", now: NOW }),
    ]);

    expect(fake.state.requests).toMatchObject({ mint: 2, graphql: 6 });
    expect(Object.fromEntries(fake.state.mints)).toEqual({ [installationId]: 1, [other]: 1 });
  });

  it.each(["https://ghe.example.test/api/v3", "https://ghe.example.test/api/v3/"])(
    "talks to GitHub Enterprise Server at %s: token from /api/v3, GraphQL at /api/graphql",
    async (baseUrl) => {
      // The fake answers only on this host, and msw fails any request to another URL.
      const { fake, github, installationId } = arrange(baseUrl);

      await expect(
        github.collectAuditSignals({ installationId, login: "octocat", now: NOW }),
      ).resolves.toMatchObject({ followers: 42 });
      expect(fake.state.requests).toMatchObject({ mint: 1, graphql: 1 });
    },
  );

  it("refuses a login GitHub would never issue before spending a mint or a request", async () => {
    const { fake, github, installationId } = arrange();

    await expect(
      github.collectAuditSignals({ installationId, login: "octo cat", now: NOW }),
    ).rejects.toBeInstanceOf(InvalidGitHubLoginError);
    expect(fake.state.authorizations).toEqual([]);
  });
});

describe("githubAppFromEnv", () => {
  const base = { GITHUB_API_URL: "https://api.github.com" };

  it("is null without App credentials, so the service can start without them", () => {
    expect(githubAppFromEnv(base)).toBeNull();
  });

  it("builds an audit source when both are set", () => {
    const source = githubAppFromEnv({
      ...base,
      GITHUB_APP_ID: APP_ID,
      GITHUB_APP_PRIVATE_KEY: PRIVATE_KEY,
    });
    expect(typeof source?.collectAuditSignals).toBe("function");
  });

  it("refuses half a configuration, and a malformed key without echoing it", () => {
    expect(() => githubAppFromEnv({ ...base, GITHUB_APP_ID: APP_ID })).toThrow(
      /^\[github\] GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY/,
    );
    const broken = PRIVATE_KEY.slice(0, 200);
    let message = "";
    try {
      githubAppFromEnv({ ...base, GITHUB_APP_ID: APP_ID, GITHUB_APP_PRIVATE_KEY: broken });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^\[github\] GITHUB_APP_PRIVATE_KEY is not a readable PEM private key/);
    expect(message).not.toContain(broken.split("\n")[1]);
  });
});
