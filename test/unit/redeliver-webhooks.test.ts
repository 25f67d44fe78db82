import { InngestTestEngine } from "@inngest/test";
import { describe, expect, it } from "vitest";
import { readEnv } from "../../src/config/env.ts";
import { createInngestClient } from "../../src/inngest/client.ts";
import { createRedeliverWebhooks } from "../../src/inngest/functions/redeliver-webhooks.ts";
import { createLogger } from "../../src/log/logger.ts";
import type { FakeHookDelivery } from "../support/github-msw-deliveries.ts";
import { useFakeGitHub } from "../support/github-app-harness.ts";

const github = useFakeGitHub();
const NOW = new Date("2026-11-24T12:00:00Z");

let nextId = 9_000;
function delivery(guid: string, statusCode: number, hoursAgo: number): FakeHookDelivery {
  return {
    id: nextId++,
    guid,
    delivered_at: new Date(NOW.getTime() - hoursAgo * 3_600_000).toISOString(),
    redelivery: false,
    status: statusCode >= 200 && statusCode < 300 ? "OK" : "Invalid HTTP Response: 502",
    status_code: statusCode,
    event: "installation",
    action: "created",
    installation_id: 1,
  };
}

function engineFor(app: ReturnType<typeof github.arrange>["github"] | null) {
  const inngest = createInngestClient({
    env: readEnv({ NODE_ENV: "test", INNGEST_DEV: "1" }),
    logger: createLogger({ level: "silent" }),
  });
  const fn = createRedeliverWebhooks(inngest, { github: app, now: () => NOW });
  return new InngestTestEngine({
    function: fn,
    events: [{ name: "inngest/scheduled.timer", data: { cron: "*/15 * * * *" } }],
  });
}

describe("redeliver-webhooks", () => {
  it("pages through the delivery log and asks again only for guids that never succeeded", async () => {
    const s = github.arrange();
    // Newest first, as GitHub lists them: 240 successes, then failures, then one too old.
    const fine = Array.from({ length: 240 }, (_, i) => delivery(`ok-${i}`, 200, 1 + i / 100));
    const healed = [delivery("healed", 202, 4), delivery("healed", 502, 5)];
    const broken = [delivery("broken", 500, 6), delivery("broken", 502, 7)];
    const old = delivery("too-old", 502, 24 * 4);
    s.fake.state.hookDeliveries.push(...fine, ...healed, ...broken, old);

    const { result } = await engineFor(s.github).execute();
    expect(result).toEqual({ status: "swept", scanned: 244, requested: 1, gaveUp: 0, refused: 0 });
    expect(s.fake.state.redeliveryRequests).toEqual([broken[0]!.id]);
    expect(s.fake.state.deliveryCursors).toEqual([null, "100", "200"]);
    // App JWT auth only: no installation token is minted for the delivery log.
    expect(s.fake.state.requests.mint).toBe(0);
    const text = JSON.stringify(result) + s.lines.join("");
    for (const secret of s.secrets()) expect(text.includes(secret)).toBe(false);
  });

  it("does nothing without a GitHub App", async () => {
    const { result } = await engineFor(null).execute();
    expect(result).toEqual({ status: "skipped", reason: "github_app_not_configured" });
  });
});
