import { NonRetriableError, RetryAfterError } from "inngest";
import type { Logger } from "pino";
import { scoreAudit } from "../../audit/score.ts";
import { GitHubUserNotFoundError } from "../../audit/audit-errors.ts";
import type { AuditSignals } from "../../audit/audit-signals.ts";
import type { RpcClient } from "../../db/rpc/rpc-client.ts";
import { GitHubRateLimitError, InstallationUnavailableError } from "../../github/github-errors.ts";
import type { GitHubAuditSource } from "../../github/github-app.ts";
import type { AppInngest } from "../client.ts";
import { auditCompleted, auditRun } from "../events.ts";
import { resolveAuditAuth } from "./audit-auth.ts";

export const AUDIT_ACTOR = "system:audit-run";

export interface AuditRunDeps {
  rpc: RpcClient;
  /** null when no GitHub App is configured: audits then end as skipped. */
  github: GitHubAuditSource | null;
  // Injected: inngest 4.24's ctx.logger vanishes from the handler types under exactOptionalPropertyTypes.
  logger: Logger;
}

type Collected =
  | { ok: true; signals: AuditSignals }
  | {
      ok: false;
      reason: "installation_deleted" | "installation_suspended" | "github_user_not_found";
    };

export function createAuditRun(inngest: AppInngest, deps: AuditRunDeps) {
  return inngest.createFunction(
    {
      id: "audit-run",
      triggers: [auditRun],
      // Transient GitHub/database faults are retried; permanent ones end with NonRetriableError.
      retries: 4,
      concurrency: [
        // One audit per user at a time: racing sign-ins must not both spend GitHub quota.
        { key: "event.data.userId", limit: 1 },
        // One installation's hourly GitHub budget must not be drained by a burst from one org.
        { key: "event.data.installationId", limit: 4 },
      ],
      // Retries exhausted (GitHub or the database down for too long): record it, never lose it silently.
      onFailure: async ({ event, step }) => {
        const original = event.data.event;
        // A malformed event was refused by its schema: it names no one we may write about.
        const parsed = auditRun.schema.safeParse(original.data);
        if (!parsed.success) {
          deps.logger.warn(
            { eventId: original.id, runId: event.data.run_id },
            "[audit] malformed audit/run refused; nothing recorded",
          );
          return;
        }
        await step.run("record-failed-audit", () =>
          deps.rpc.call("record_audit", {
            ...outcome(original.id ?? event.data.run_id, parsed.data.userId, null),
            p_status: "failed",
            p_reason: "retries_exhausted",
          }),
        );
      },
    },
    async ({ event, step, runId }) => {
      const { userId } = event.data;
      // The triggering event's id: a retry or a dashboard replay of this event shares it.
      const key = event.id ?? runId;

      const auth = await step.run("resolve-auth", async () =>
        resolveAuditAuth(deps.rpc, event.data, deps.github !== null),
      );
      if (auth.kind === "skip") {
        if (auth.record) {
          await step.run("record-skipped-audit", () =>
            deps.rpc.call("record_audit", {
              ...outcome(key, userId, auth.installationId),
              p_status: "skipped",
              p_reason: auth.reason,
            }),
          );
        }
        return { status: "skipped" as const, reason: auth.reason };
      }

      const collected = await step.run("collect-signals", async (): Promise<Collected> => {
        try {
          // The installation token is minted (or taken from the in-memory cache) inside this
          // step and never leaves it: the step's output is derived, non-secret numbers.
          const signals = await deps.github!.collectAuditSignals({
            installationId: auth.installationId,
            login: auth.githubLogin,
          });
          return { ok: true, signals };
        } catch (err) {
          if (err instanceof InstallationUnavailableError) {
            return {
              ok: false,
              reason: err.status === 404 ? "installation_deleted" : "installation_suspended",
            };
          }
          if (err instanceof GitHubUserNotFoundError)
            return { ok: false, reason: "github_user_not_found" };
          if (err instanceof GitHubRateLimitError) {
            throw new RetryAfterError(
              `[audit] GitHub rate limit for installation ${auth.installationId}`,
              err.resetAt,
            );
          }
          throw err; // 5xx, network, database: retried by Inngest
        }
      });

      if (!collected.ok) {
        if (collected.reason !== "github_user_not_found") {
          await step.run("deactivate-installation", () =>
            deps.rpc.call("mark_installation_inactive", {
              p_installation_id: auth.installationId,
              p_status: collected.reason === "installation_deleted" ? "deleted" : "suspended",
              p_reason: "token mint refused by GitHub during audit",
              p_actor: AUDIT_ACTOR,
            }),
          );
        }
        await step.run("record-failed-audit", () =>
          deps.rpc.call("record_audit", {
            ...outcome(key, userId, auth.installationId),
            p_status: "failed",
            p_reason: collected.reason,
          }),
        );
        throw new NonRetriableError(
          `[audit] ${collected.reason} (installation ${auth.installationId})`,
        );
      }

      const score = scoreAudit(collected.signals);
      const recorded = await step.run("record-audit", async () => {
        const [row] = await deps.rpc.call("record_audit", {
          ...outcome(key, userId, auth.installationId),
          p_status: "completed",
          p_reason: null,
          p_signals: { ...collected.signals },
          p_xp: score.xp,
          p_level: score.level,
        });
        return row!;
      });

      // step.sendEvent, not inngest.send: a retried run does not send twice, and the event id
      // makes a replay's second send a no-op at Inngest too.
      await step.sendEvent(
        "emit-audit-completed",
        auditCompleted.create(
          { userId, auditId: recorded.audit_id, level: score.level, xp: score.xp },
          { id: `audit-completed-${recorded.audit_id}` },
        ),
      );
      return {
        status: "completed" as const,
        auditId: recorded.audit_id,
        level: score.level,
        xp: score.xp,
      };
    },
  );
}

function outcome(key: string, userId: string, installationId: number | null) {
  return {
    p_idempotency_key: `audit/run:${key}`,
    p_user_id: userId,
    p_reason: null as string | null,
    p_installation_id: installationId,
    p_signals: null,
    p_xp: null,
    p_level: null,
    p_actor: AUDIT_ACTOR,
  };
}
