import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { installationExamples } from "../support/webhook-examples.ts";
import { useWebhookStack } from "./webhook-stack.ts";

const stack = useWebhookStack();
const deleted = installationExamples().find((e) => e.payload.action === "deleted")!;

describe("webhook intake under concurrency (group commit)", () => {
  it("gives each of many concurrent deliveries its own outcome; a repeated id is recorded once", async () => {
    const s = stack.arrangeWebhooks();
    const body = JSON.stringify(deleted.payload);
    const ids: string[] = Array.from({ length: 40 }, () => randomUUID());
    const repeated = ids[7]!;
    const answers = await Promise.all(
      [...ids, repeated].map((deliveryId) =>
        s.deliver({ event: "installation", body, deliveryId }),
      ),
    );
    expect(answers.every((a) => a.res.status === 202)).toBe(true);
    const statuses = answers.map((a) => a.body.status);
    expect(statuses.filter((st) => st === "accepted")).toHaveLength(40);
    expect(statuses.filter((st) => st === "duplicate")).toHaveLength(1);
    const rows = (await stack.deliveryRows()).filter((r) => ids.includes(r.delivery_id as string));
    expect(rows).toHaveLength(40);
    expect(rows.every((r) => r.status === "forwarded")).toBe(true);
    expect(new Set(s.forwarded().map((e) => e.id)).size).toBe(40);
  });

  it("records the rest of a group when one delivery in it is refused by the database", async () => {
    let failOnce = true;
    const s = stack.arrangeWebhooks({
      wrapRpc: (rpc) => ({
        ...rpc,
        call(name, args) {
          if (name === "record_webhook_group" && failOnce) {
            failOnce = false;
            return Promise.reject(new Error("group refused"));
          }
          return rpc.call(name, args);
        },
      }),
    });
    const body = JSON.stringify(deleted.payload);
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => s.deliver({ event: "installation", body })),
    );
    // The failed group is retried one delivery at a time: all five are recorded.
    expect(answers.map((a) => a.res.status)).toEqual([202, 202, 202, 202, 202]);
    for (const { deliveryId } of answers) {
      expect(await stack.deliveryRows(deliveryId)).toMatchObject([{ status: "forwarded" }]);
    }
  });
});
