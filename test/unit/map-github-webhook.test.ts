import { describe, expect, it } from "vitest";
import { mapGitHubWebhook } from "../../src/webhooks/map-github-webhook.ts";
import { expectedForward, installationExamples } from "../support/webhook-examples.ts";

const DELIVERY = "72d3162e-cc78-11e3-81ab-4c9367dc0958";
const examples = installationExamples();

describe("mapGitHubWebhook", () => {
  it("sees every installation and installation_repositories example that ships", () => {
    // Negative control for the loader: both events and every handled action are present.
    expect(new Set(examples.map((e) => `${e.event}.${e.payload.action}`))).toEqual(
      new Set([
        "installation.created",
        "installation.deleted",
        "installation.suspend",
        "installation.unsuspend",
        "installation.new_permissions_accepted",
        "installation_repositories.added",
        "installation_repositories.removed",
      ]),
    );
  });

  it.each(examples.map((e) => [e.label, e] as const))(
    "forwards %s as its identifier-only event",
    (_label, example) => {
      expect(mapGitHubWebhook(example.event, DELIVERY, example.payload)).toEqual({
        kind: "forward",
        action: example.payload.action,
        installationId: example.payload.installation.id,
        event: expectedForward(example, DELIVERY),
      });
    },
  );

  it("takes the account's slug as accountLogin for an Enterprise installation", () => {
    const created = examples.find((e) => e.payload.action === "created")!.payload;
    const account = { id: 9001, slug: "acme-enterprise", name: "Acme", type: "Enterprise" };
    const route = mapGitHubWebhook("installation", DELIVERY, {
      ...created,
      installation: { ...created.installation, account },
    });
    expect(route).toMatchObject({
      kind: "forward",
      event: {
        data: { accountId: 9001, accountLogin: "acme-enterprise", accountType: "Enterprise" },
      },
    });
  });

  it("ignores events and actions it does not handle, keeping the installation id", () => {
    expect(mapGitHubWebhook("push", DELIVERY, { ref: "x", installation: { id: 5 } })).toEqual({
      kind: "ignored",
      action: null,
      installationId: 5,
    });
    expect(mapGitHubWebhook("installation", DELIVERY, { action: "renamed" })).toEqual({
      kind: "ignored",
      action: "renamed",
      installationId: null,
    });
    for (const action of ["constructor", "__proto__", "toString"]) {
      expect(mapGitHubWebhook("installation", DELIVERY, { action }).kind).toBe("ignored");
    }
    expect(mapGitHubWebhook("ping", DELIVERY, "not an object")).toEqual({
      kind: "ignored",
      action: null,
      installationId: null,
    });
  });

  it("calls a handled event invalid when its payload lacks what the event needs, naming fields only", () => {
    const created = examples.find((e) => e.payload.action === "created")!.payload;
    const noSender = { ...created, sender: undefined };
    expect(mapGitHubWebhook("installation", DELIVERY, noSender)).toMatchObject({
      kind: "invalid",
      action: "created",
      fields: expect.arrayContaining(["accountId"]),
    });
    const badType = {
      ...created,
      installation: { ...created.installation, account: { id: 1, login: "x", type: "Bot" } },
    };
    expect(mapGitHubWebhook("installation", DELIVERY, badType)).toEqual({
      kind: "invalid",
      action: "created",
      fields: ["accountType"],
    });
    expect(mapGitHubWebhook("installation", DELIVERY, { action: "deleted" })).toEqual({
      kind: "invalid",
      action: "deleted",
      fields: ["installationId"],
    });
  });

  it("never carries a payload field beyond the event's schema", () => {
    for (const example of examples) {
      const route = mapGitHubWebhook(example.event, DELIVERY, {
        ...example.payload,
        accessToken: "ghs_should_never_travel",
      });
      expect(JSON.stringify(route)).not.toContain("ghs_should_never_travel");
    }
  });
});
