import { describe, expect, it } from "vitest";
import { planRedeliveries, type HookDeliveryAttempt } from "../../src/github/plan-redeliveries.ts";

let nextId = 1;
const attempt = (guid: string, status_code: number, minutesAgo: number): HookDeliveryAttempt => ({
  id: nextId++,
  guid,
  status_code,
  delivered_at: new Date(Date.UTC(2026, 10, 24, 12) - minutesAgo * 60_000).toISOString(),
});

describe("planRedeliveries", () => {
  it("asks again only for guids that never succeeded, once each, with the newest attempt", () => {
    const ok = attempt("ok", 200, 5);
    const failedThenOk = [attempt("healed", 502, 30), attempt("healed", 202, 10)];
    const failedTwice = [attempt("broken", 500, 40), attempt("broken", 0, 20)];
    const plan = planRedeliveries([ok, ...failedThenOk, ...failedTwice], 5);
    expect(plan).toEqual({ deliveryIds: [failedTwice[1]!.id], gaveUp: [] });
  });

  it("gives up on a guid that already failed maxAttempts times", () => {
    const tries = [1, 2, 3].map((m) => attempt("stuck", 503, m));
    expect(planRedeliveries(tries, 3)).toEqual({ deliveryIds: [], gaveUp: ["stuck"] });
  });
});
