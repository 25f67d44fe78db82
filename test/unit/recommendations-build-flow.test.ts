import { run } from "@bufbuild/cel";
import { describe, expect, it } from "vitest";
import { auditCompleted, recommendationsBuildRequested } from "../../src/inngest/events.ts";
import { createLogger } from "../../src/log/logger.ts";
import type { RpcClient } from "../../src/db/rpc/rpc-client.ts";
import { readEnv } from "../../src/config/env.ts";
import { createInngestClient } from "../../src/inngest/client.ts";
import {
  createRecommendationsBuild,
  RECOMMENDATIONS_BUILD_LIMIT,
  RECOMMENDATIONS_USER_KEY,
} from "../../src/inngest/functions/recommendations-build.ts";

const USER_A = "0f6a4f5e-8a51-4a43-9a8b-1a2b3c4d5e6f";
const USER_B = "6c1f2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f";

/** The key is CEL the Inngest server evaluates on the trigger event (see audit-run-flow.test.ts). */
function evaluate(event: { name: string; data: Record<string, unknown> }): unknown {
  return run(RECOMMENDATIONS_USER_KEY, { event } as never);
}

describe("recommendations-build flow-control key", () => {
  it("reads a field both trigger schemas require, so no build falls into a shared bucket", () => {
    for (const type of [auditCompleted, recommendationsBuildRequested]) {
      expect(Object.keys(type.schema.shape)).toContain("userId");
      expect(type.schema.shape.userId.safeParse(undefined).success).toBe(false);
    }
    const requested = recommendationsBuildRequested.create({ userId: USER_A });
    const completed = auditCompleted.create({ userId: USER_A, auditId: 1, level: 0, xp: 0 });
    const other = recommendationsBuildRequested.create({ userId: USER_B });
    expect(evaluate(requested)).toBe(`user:${USER_A}`);
    expect(evaluate(completed)).toBe(`user:${USER_A}`);
    expect(evaluate(other)).toBe(`user:${USER_B}`);
  });

  it("neither trigger names an installation: a per-installation key could not be built", () => {
    // One build spans every installation the user reaches; the refresh lease bounds each.
    for (const type of [auditCompleted, recommendationsBuildRequested]) {
      expect(Object.keys(type.schema.shape)).not.toContain("installationId");
    }
  });

  it("caps build steps across all users, so the daily fan-out queues (two constraints, Inngest's maximum)", () => {
    const fn = createRecommendationsBuild(
      createInngestClient({ env: readEnv({ NODE_ENV: "test" }) }),
      {
        rpc: {} as RpcClient,
        github: null,
        logger: createLogger({ level: "silent" }),
      },
    );
    expect(fn.opts.concurrency).toEqual([
      { key: RECOMMENDATIONS_USER_KEY, limit: 1 },
      { limit: RECOMMENDATIONS_BUILD_LIMIT },
    ]);
  });
});
