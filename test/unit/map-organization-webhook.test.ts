import { describe, expect, it } from "vitest";
import { mapGitHubWebhook } from "../../src/webhooks/map-github-webhook.ts";
import { organizationExample } from "../support/webhook-examples.ts";

const DELIVERY = "a1d3162e-cc78-11e3-81ab-4c9367dc0958";

describe("mapGitHubWebhook: organization membership", () => {
  it.each([
    ["member_added", "github/organization-member.added"],
    ["member_removed", "github/organization-member.removed"],
  ] as const)(
    "forwards organization.%s as the installation and the member's id only",
    (action, name) => {
      const payload = organizationExample(action);
      expect(mapGitHubWebhook("organization", DELIVERY, payload)).toEqual({
        kind: "forward",
        action,
        installationId: 42,
        event: {
          name,
          data: { deliveryId: DELIVERY, installationId: 42, memberId: payload.membership.user!.id },
        },
      });
    },
  );

  it("ignores the organization actions that change no membership", () => {
    for (const action of ["member_invited", "renamed", "deleted"]) {
      const payload = { ...organizationExample("member_added"), action };
      expect(mapGitHubWebhook("organization", DELIVERY, payload)).toMatchObject({
        kind: "ignored",
        action,
      });
    }
  });

  it("refuses a membership without a user id (nothing to record)", () => {
    const payload = organizationExample("member_added");
    payload.membership.user = null;
    expect(mapGitHubWebhook("organization", DELIVERY, payload)).toEqual({
      kind: "invalid",
      action: "member_added",
      fields: ["memberId"],
    });
  });
});
