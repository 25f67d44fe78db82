import type { EventType } from "inngest";
import type { z } from "zod";
import {
  forwardedEventId,
  githubInstallationCreated,
  githubInstallationDeleted,
  githubInstallationPermissionsAccepted,
  githubInstallationRepositoriesChanged,
  githubInstallationSuspended,
  githubInstallationUnsuspended,
  githubOrganizationMemberAdded,
  githubOrganizationMemberRemoved,
  GITHUB_ISSUE_EVENTS,
} from "../inngest/github-events.ts";

/** Every event a webhook delivery may be forwarded as (the contract in github-events.ts). */
export const FORWARDED_EVENT_TYPES = [
  githubInstallationCreated,
  githubInstallationDeleted,
  githubInstallationSuspended,
  githubInstallationUnsuspended,
  githubInstallationPermissionsAccepted,
  githubInstallationRepositoriesChanged,
  ...GITHUB_ISSUE_EVENTS,
  githubOrganizationMemberAdded,
  githubOrganizationMemberRemoved,
] as const;

export type ForwardedEventType = (typeof FORWARDED_EVENT_TYPES)[number];
export type ForwardedEventName = ForwardedEventType["name"];

/** Identifier-only event data, as recorded in the outbox and sent. */
export type ForwardedData = Record<string, string | number | boolean>;

export interface ForwardedEvent {
  name: ForwardedEventName;
  data: ForwardedData;
}

export type CheckedData =
  | { ok: true; name: ForwardedEventName; data: ForwardedData }
  /** `fields` names what failed, never a value: values come from a payload. */
  | { ok: false; fields: string[] };

/**
 * Checks data against the schema of the event it is forwarded as (strict: a stray key is
 * refused) and that it names this delivery.
 */
export function checkForwardedData(name: string, data: unknown, deliveryId: string): CheckedData {
  const type = FORWARDED_EVENT_TYPES.find((candidate) => candidate.name === name);
  if (!type) return { ok: false, fields: ["(event name)"] };
  const parsed = type.schema.safeParse(data);
  if (!parsed.success) {
    return { ok: false, fields: parsed.error.issues.map((i) => i.path.join(".") || "(root)") };
  }
  if (parsed.data.deliveryId !== deliveryId) return { ok: false, fields: ["deliveryId"] };
  return { ok: true, name: type.name, data: parsed.data };
}

/** The event to send for a delivery, with the event id a redelivery or resend shares. */
export function createForwardedEvent(checked: Extract<CheckedData, { ok: true }>) {
  const type = FORWARDED_EVENT_TYPES.find((candidate) => candidate.name === checked.name)!;
  // Widened to the data every forwarded schema produces; create() still validates at send
  // against the type's own schema.
  const widened = type as EventType<ForwardedEventName, z.ZodType<ForwardedData, ForwardedData>>;
  return widened.create(checked.data, { id: forwardedEventId(String(checked.data["deliveryId"])) });
}
