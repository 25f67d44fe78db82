import { createHmac, generateKeyPairSync, randomBytes } from "node:crypto";
import { Inngest } from "inngest";
import { describe, expect, it } from "vitest";
import { generateApiKey } from "../../src/api-keys/api-key-format.ts";
import { childLogger } from "../../src/log/logger.ts";
import { collectingLogger } from "../support/collecting-logger.ts";

// Fake credentials, made at run time.
const TOKEN = `ghs_${randomBytes(27).toString("base64url").replace(/[-_]/g, "x").slice(0, 36)}`;
const b64url = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
const JWT_BODY = `${b64url({ alg: "HS256", typ: "JWT" })}.${b64url({ role: "service_role", iss: "supabase" })}`;
const JWT = `${JWT_BODY}.${createHmac("sha256", randomBytes(32)).update(JWT_BODY).digest("base64url")}`;
const PEM = generateKeyPairSync("ec", { namedCurve: "P-256" })
  .privateKey.export({ type: "sec1", format: "pem" })
  .toString();
const PEM_BODY = PEM.split("\n")[1] ?? PEM;
const COOKIE = `sid=${randomBytes(16).toString("hex")}`;
const PASSWORD = `pw-${randomBytes(8).toString("hex")}`;
const SECRETS = [TOKEN, JWT, PEM_BODY, COOKIE, PASSWORD];

function capture(level = "debug") {
  const { logger, lines, records } = collectingLogger({ level });
  const leaked = () => SECRETS.filter((secret) => lines.some((line) => line.includes(secret)));
  return { logger, lines, records, leaked };
}

describe("createLogger", () => {
  it("redacts known header and field paths while keeping the rest of the request", () => {
    const { logger, records, leaked } = capture();
    logger.info(
      {
        req: {
          method: "POST",
          url: "/api/inngest",
          headers: { authorization: `Bearer ${JWT}`, cookie: COOKIE, "x-request-id": "req-1" },
        },
        res: { statusCode: 401, headers: { "set-cookie": [COOKIE] } },
        user: { githubLogin: "octocat", password: PASSWORD },
      },
      "[http] request",
    );
    expect(leaked()).toEqual([]);
    expect(records()[0]).toMatchObject({
      msg: "[http] request",
      req: {
        method: "POST",
        url: "/api/inngest",
        headers: { authorization: "[REDACTED]", cookie: "[REDACTED]", "x-request-id": "req-1" },
      },
      res: { statusCode: 401, headers: { "set-cookie": "[REDACTED]" } },
      user: { githubLogin: "octocat", password: "[REDACTED]" },
    });
  });

  it("redacts credential-named keys at any depth, beyond pino's one-level wildcards", () => {
    const { logger, records, leaked } = capture();
    logger.info(
      { run: { steps: [{ output: { app: { webhookSecret: "opaque", installationId: 9 } } }] } },
      "deep",
    );
    expect(leaked()).toEqual([]);
    expect(records()[0]).toMatchObject({
      run: { steps: [{ output: { app: { webhookSecret: "[REDACTED]", installationId: 9 } } }] },
    });
  });

  it("redacts credential-shaped text in messages, interpolation args and free-text fields", () => {
    const { logger, records, leaked } = capture();
    logger.warn(
      { installationId: 42, note: `minted ${TOKEN}`, key: PEM },
      "got %s and %o for %s",
      TOKEN,
      { jwt: JWT, user: { login: "octocat", auth: { password: PASSWORD } } },
      "octocat",
    );
    logger.info(`plain message with ${JWT}`);
    expect(leaked()).toEqual([]);
    const [first, second] = records();
    expect(first).toMatchObject({
      installationId: 42,
      note: "minted [REDACTED]",
      key: "[REDACTED]\n",
    });
    expect(first?.msg).toBe(
      'got [REDACTED] and {"jwt":"[REDACTED]","user":{"login":"octocat","auth":{"password":"[REDACTED]"}}} for octocat',
    );
    expect(second?.msg).toBe("plain message with [REDACTED]");
  });

  it("redacts automation API keys and their display prefix, wherever they appear", () => {
    const { key, displayPrefix } = generateApiKey();
    const { logger, lines, records } = capture();
    logger.info(
      { headers: { authorization: `Bearer ${key}` }, note: `key ${key}`, shown: displayPrefix },
      "used %s",
      key,
    );
    logger.error(new Error(`refused ${key}`));
    const text = lines.join("");
    expect(text).not.toContain(key.slice(4, 12));
    expect(records()[0]).toMatchObject({
      note: "key [REDACTED]",
      shown: "[REDACTED]",
      msg: "used [REDACTED]",
    });
  });

  it("redacts errors (message, stack, cause, own fields) and keeps their type", () => {
    const { logger, records, leaked } = capture();
    const err = Object.assign(
      new TypeError(`fetch failed for ${TOKEN}`, { cause: new Error(`inner ${JWT}`) }),
      {
        status: 401,
        request: { headers: { authorization: `token ${TOKEN}` } },
      },
    );
    logger.error({ err }, "[github] call failed");
    logger.error(new Error(`direct ${TOKEN}`));
    expect(leaked()).toEqual([]);
    const [withKey, direct] = records();
    expect(withKey?.err).toMatchObject({
      type: "TypeError",
      message: expect.stringContaining("fetch failed for [REDACTED]"),
      status: 401,
    });
    expect(direct).toMatchObject({
      msg: "direct [REDACTED]",
      err: { message: "direct [REDACTED]" },
    });
    // The original error is not altered by logging it.
    expect(err.message).toContain(TOKEN);
  });

  it("redacts bindings of child loggers at any depth, from childLogger and from pino's own child()", () => {
    const { logger, records, leaked } = capture();
    childLogger(logger, { deliveryId: "d-1", token: TOKEN }).info("delivery");
    const run = logger.child({ runID: "r-1", note: `Bearer ${JWT}` });
    run.child({ step: "mint", session: { user: { cookie: COOKIE } } }).info({ attempt: 0 }, "step");
    expect(leaked()).toEqual([]);
    expect(records()).toMatchObject([
      { deliveryId: "d-1", token: "[REDACTED]", msg: "delivery" },
      {
        runID: "r-1",
        note: "Bearer [REDACTED]",
        step: "mint",
        session: { user: { cookie: "[REDACTED]" } },
        attempt: 0,
        msg: "step",
      },
    ]);
  });

  it("catches what a serializer produces after the formatters ran, e.g. reading a fetch Request", () => {
    const { logger, records, leaked } = capture();
    // A Request hides its headers from enumeration, so only the finished line shows the token.
    const serializers = {
      request: (r: Request) => ({ url: r.url, auth: r.headers.get("authorization") }),
    };
    const request = new Request("https://api.github.com/app/installations", {
      headers: { authorization: `token ${TOKEN}` },
    });
    logger.child({}, { serializers }).info({ request }, "outgoing");
    expect(leaked()).toEqual([]);
    expect(records()[0]).toMatchObject({
      request: { url: "https://api.github.com/app/installations", auth: "token [REDACTED]" },
    });
  });

  it("honours the level option", () => {
    const { logger, lines } = capture("warn");
    logger.info("dropped");
    logger.warn("kept");
    expect(lines).toHaveLength(1);
  });

  it("serves as the Inngest client logger, with the SDK's child bindings and pino-style calls", () => {
    const { logger, records, leaked } = capture();
    const inngest = new Inngest({ id: "logger-test", isDev: true, logger });
    inngest.logger.info({ installationId: 7, token: TOKEN }, "from the SDK");
    expect(inngest.logger).toBe(logger);
    expect(leaked()).toEqual([]);
    expect(records()[0]).toMatchObject({
      installationId: 7,
      token: "[REDACTED]",
      msg: "from the SDK",
    });
  });
});
