import { referenceFunction } from "inngest";
import type { Logger } from "pino";
import type { AuditFindings, AuditSignals } from "../../audit/audit-signals.ts";
import { scoreAudit } from "../../audit/score.ts";
import type { RpcArgs } from "../../db/rpc/contract.ts";
import type { RpcClient } from "../../db/rpc/rpc-client.ts";
import type { GitHubAuditSource } from "../../github/github-app.ts";
import type { AppInngest } from "../client.ts";
import { auditCompleted, auditRun } from "../events.ts";
import { permanentErrorsEndRuns } from "../permanent-rpc.ts";
import { planAudit, type RecordedAudit } from "./audit-auth.ts";
import type { createAuditCollect } from "./audit-collect.ts";
import { AUDIT_COLLECT_ID, AUDIT_USER_KEY } from "./audit-run-flow.ts";

export const AUDIT_ACTOR = "system:audit-run";

export interface AuditRunDeps {
  rpc: RpcClient;
  /** null when no GitHub App is configured: audits then end as skipped. */
  github: GitHubAuditSource | null;
  // Injected: inngest 4.24's ctx.logger vanishes from the handler types under exactOptionalPropertyTypes.
  logger: Logger;
}

const auditCollect = referenceFunction<ReturnType<typeof createAuditCollect>>({
  functionId: AUDIT_COLLECT_ID,
});

/** What a run reports: exactly what the audit row holds afterwards. */
export type AuditRunResult =
  | {
      status: RecordedAudit["status"];
      reason: string | null;
      auditId: number;
      xp: number | null;
      level: number | null;
    }
  | { status: "skipped"; reason: string; auditId?: number };

export function createAuditRun(inngest: AppInngest, deps: AuditRunDeps) {
  const rpc = permanentErrorsEndRuns(deps.rpc);

  return inngest.createFunction(
    {
      id: "audit-run",
      triggers: [auditRun],
      // Transient database faults are retried; permanent ones end the run at once.
      retries: 4,
      // "skip": a run already in flight for this user produces their audit; a second one
      // would repeat the same GitHub work. The skipped event can be rerun afterwards.
      singleton: { key: AUDIT_USER_KEY, mode: "skip" },
      // No per-installation concurrency: these steps are database-only (audit-run-flow.ts).
      // Retries exhausted or a permanent error: record it on this event's row, never lose it
      // silently. A completed row is final, so this never downgrades one.
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
        // A failed audit-collect invocation surfaces under the child's error name.
        const permanent = event.data.error.name === "NonRetriableError";
        await step.run("record-failed-audit", () =>
          rpc.call(
            "record_audit",
            outcome(idempotencyKey(original.id ?? event.data.run_id), parsed.data.userId, {
              p_status: "failed",
              p_reason: permanent ? "permanent_error" : "retries_exhausted",
              p_run_id: event.data.run_id,
            }),
          ),
        );
      },
    },
    async ({ event, step, runId }): Promise<AuditRunResult> => {
      const { userId } = event.data;
      // The triggering event's id: a retry, rerun or replay of this event shares it.
      const key = idempotencyKey(event.id ?? runId);
      const record = (args: Partial<RpcArgs<"record_audit">>) =>
        rpc
          .call("record_audit", outcome(key, userId, { p_run_id: runId, ...args }))
          .then(([row]) => toRecorded(row!));

      /** Announces a completion this run made, or one an earlier run could not announce. */
      const finish = async (audit: RecordedAudit, announce: boolean): Promise<AuditRunResult> => {
        if (audit.status === "completed" && announce && !audit.announced) {
          // step.sendEvent, not inngest.send: a retried run does not send twice; the id makes a
          // second send (a racing rerun repairing the same announcement) a no-op at Inngest.
          await step.sendEvent(
            "emit-audit-completed",
            auditCompleted.create(
              { userId, auditId: audit.auditId, level: audit.level!, xp: audit.xp! },
              { id: `audit-completed-${audit.auditId}` },
            ),
          );
          await step.run("mark-announced", () =>
            rpc.call("mark_audit_announced", { p_audit_id: audit.auditId, p_actor: AUDIT_ACTOR }),
          );
        }
        return {
          status: audit.status,
          reason: audit.reason,
          auditId: audit.auditId,
          xp: audit.xp,
          level: audit.level,
        };
      };

      const plan = await step.run("resolve-auth", () =>
        planAudit(rpc, event.data, key, deps.github !== null),
      );
      if (plan.kind === "recorded") return finish(plan.audit, true);
      if (plan.kind === "skip") {
        if (!plan.record) {
          return {
            status: "skipped",
            reason: plan.reason,
            ...(plan.completedAuditId ? { auditId: plan.completedAuditId } : {}),
          };
        }
        const recorded = await step.run("record-skipped-audit", () =>
          record({
            p_status: "skipped",
            p_reason: plan.reason,
            p_installation_id: plan.installationId,
          }),
        );
        return finish(recorded, false);
      }

      // Every GitHub call runs in audit-collect, keyed on the installation resolved above. A
      // failed invocation (its own retries spent) is not retried or re-invoked here: a failed
      // step rethrown by the handler is final for the SDK (retriability() in
      // https://github.com/inngest/inngest-js/blob/main/packages/inngest/src/components/execution/engine.ts),
      // and onFailure records the child's error; test/unit/inngest-executor.test.ts pins it.
      const collected = await step.invoke("collect-signals", {
        function: auditCollect,
        data: { installationId: plan.installationId, login: plan.githubLogin },
        // Explicit bound: 5 attempts with backoff, or a wait for GitHub's rate-limit reset
        // (at most an hour), fit; past it the step fails and onFailure records the row.
        timeout: "2h",
      });

      if (!collected.ok) {
        if (collected.reason !== "github_user_not_found") {
          await step.run("deactivate-installation", () =>
            rpc.call("mark_installation_inactive", {
              p_installation_id: plan.installationId,
              p_status: collected.reason === "installation_deleted" ? "deleted" : "suspended",
              p_reason: "token mint refused by GitHub during audit",
              p_actor: AUDIT_ACTOR,
            }),
          );
        }
        // A domain outcome, recorded on the row; nothing to retry. A rerun re-evaluates it.
        const recorded = await step.run("record-failed-audit", () =>
          record({
            p_status: "failed",
            p_reason: collected.reason,
            p_installation_id: plan.installationId,
          }),
        );
        return finish(recorded, false);
      }

      // A step memoized before languages were collected has none; the numbers still count.
      const found: AuditSignals & Partial<AuditFindings> = collected.signals;
      const { languages = [], ...numbers } = found;
      const score = scoreAudit(numbers);
      const recorded = await step.run("record-audit", () =>
        record({
          p_status: "completed",
          p_installation_id: plan.installationId,
          p_signals: numbers,
          p_languages: languages,
          p_xp: score.xp,
          p_level: score.level,
        }),
      );
      // Only the run that completed the row announces it: a racing rerun finds it completed.
      return finish(recorded, recorded.changed);
    },
  );
}

function idempotencyKey(eventId: string): string {
  return `audit/run:${eventId}`;
}

function toRecorded(row: {
  audit_id: number;
  status: RecordedAudit["status"];
  reason: string | null;
  xp: number | null;
  level: number | null;
  changed: boolean;
  announced: boolean;
}): RecordedAudit & { changed: boolean } {
  return {
    auditId: row.audit_id,
    status: row.status,
    reason: row.reason,
    xp: row.xp,
    level: row.level,
    announced: row.announced,
    changed: row.changed,
  };
}

function outcome(
  key: string,
  userId: string,
  args: Partial<RpcArgs<"record_audit">> & Pick<RpcArgs<"record_audit">, "p_run_id">,
): RpcArgs<"record_audit"> {
  return {
    p_idempotency_key: key,
    p_user_id: userId,
    p_status: "skipped",
    p_reason: null,
    p_installation_id: null,
    p_signals: null,
    p_xp: null,
    p_level: null,
    p_actor: AUDIT_ACTOR,
    p_languages: null,
    ...args,
  };
}
