import { describe, expect, it } from "vitest";
import { CORS_MAX_AGE_SECONDS } from "../../src/http/actions/actions-cors.ts";
import { createUser } from "../support/fixtures.ts";
import { useAuditStack } from "./audit-stack.ts";

const stack = useAuditStack();
const { db } = stack;
const APP = "https://app.example.test";
const LOCAL = "http://localhost:5173";
const EVIL = "https://evil.example.test";

type Arranged = ReturnType<typeof stack.arrange>;

function preflight(s: Arranged, origin: string, path = "/api/actions/get-profile") {
  return s.application.http.request(path, {
    method: "OPTIONS",
    headers: {
      origin,
      "access-control-request-method": "POST",
      "access-control-request-headers": "authorization,content-type",
    },
  });
}

function post(s: Arranged, token: string, origin: string, path = "/api/actions/get-profile") {
  return s.application.http.request(path, {
    method: "POST",
    headers: { origin, authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: "{}",
  });
}

/** Every Access-Control-* header of a response. */
function corsHeaders(res: Response): Record<string, string> {
  return Object.fromEntries(
    [...res.headers.entries()].filter(([name]) => name.startsWith("access-control-")),
  );
}

describe("CORS on /api/actions/* for listed browser origins", () => {
  it("answers a preflight from a listed origin with 204, the origin echoed, POST and the two headers, a max-age, no credentials", async () => {
    const s = stack.arrange({ github: false, env: { CORS_ORIGINS: `${APP}, ${LOCAL}` } });
    for (const origin of [APP, LOCAL]) {
      const res = await preflight(s, origin);
      expect(res.status).toBe(204);
      expect(corsHeaders(res)).toEqual({
        "access-control-allow-origin": origin,
        "access-control-allow-methods": "POST",
        "access-control-allow-headers": "authorization,content-type",
        "access-control-expose-headers": "retry-after,x-request-id",
        "access-control-max-age": String(CORS_MAX_AGE_SECONDS),
      });
      expect(res.headers.get("vary")).toMatch(/\bOrigin\b/);
    }
  });

  it("echoes a listed origin on the action's answer (200 and refusals alike), with Vary: Origin", async () => {
    const s = stack.arrange({ github: false, env: { CORS_ORIGINS: APP } });
    const user = await createUser(db.sql);
    const token = await s.userToken(user);
    const ok = await post(s, token, APP);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ data: { githubLogin: user.login } });
    expect(corsHeaders(ok)).toEqual({
      "access-control-allow-origin": APP,
      "access-control-expose-headers": "retry-after,x-request-id",
    });
    expect(ok.headers.get("vary")).toMatch(/\bOrigin\b/);

    // A browser can read a refusal only if it carries the header too.
    const refused = await post(s, "not-a-jwt", APP);
    expect(refused.status).toBe(401);
    expect(refused.headers.get("access-control-allow-origin")).toBe(APP);
  });

  it("gives any other origin no CORS header at all: its preflight stays 405, its call runs without one", async () => {
    const s = stack.arrange({ github: false, env: { CORS_ORIGINS: APP } });
    const token = await s.userToken(await createUser(db.sql));
    for (const origin of [EVIL, `${APP}.evil.test`, "null", `${APP}/`, APP.toUpperCase()]) {
      const pre = await preflight(s, origin);
      expect({ origin, status: pre.status, cors: corsHeaders(pre) }).toEqual({
        origin,
        status: 405,
        cors: {},
      });
      const res = await post(s, token, origin);
      expect({ origin, status: res.status, cors: corsHeaders(res) }).toEqual({
        origin,
        status: 200,
        cors: {},
      });
      expect(res.headers.get("vary")).toMatch(/\bOrigin\b/);
    }
  });

  it("answers a plain OPTIONS (not a preflight) from a listed origin with 405, as before", async () => {
    const s = stack.arrange({ github: false, env: { CORS_ORIGINS: APP } });
    const res = await s.application.http.request("/api/actions/get-profile", {
      method: "OPTIONS",
      headers: { origin: APP },
    });
    expect(res.status).toBe(405);
    expect(corsHeaders(res)).toEqual({});
  });

  it("adds nothing when CORS_ORIGINS is unset or empty", async () => {
    for (const env of [{}, { CORS_ORIGINS: "" }, { CORS_ORIGINS: " , " }]) {
      const s = stack.arrange({ github: false, env });
      const token = await s.userToken(await createUser(db.sql));
      for (const origin of [APP, EVIL]) {
        const pre = await preflight(s, origin);
        expect({ env, origin, status: pre.status, cors: corsHeaders(pre) }).toEqual({
          env,
          origin,
          status: 405,
          cors: {},
        });
        const res = await post(s, token, origin);
        expect(res.status).toBe(200);
        expect(corsHeaders(res)).toEqual({});
        expect(res.headers.get("vary")).toBeNull();
      }
    }
  });

  it("leaves /api/inngest and the GitHub webhook without CORS, even for a listed origin", async () => {
    const s = stack.arrange({ github: false, env: { CORS_ORIGINS: APP } });
    for (const path of ["/api/inngest", "/api/webhooks/github"]) {
      for (const res of [
        await preflight(s, APP, path),
        await s.application.http.request(path, {
          method: "POST",
          headers: { origin: APP, "content-type": "application/json" },
          body: "{}",
        }),
      ]) {
        expect({ path, cors: corsHeaders(res) }).toEqual({ path, cors: {} });
      }
    }
  });
});
