import { NonRetriableError } from "inngest";
import { GitHubUserNotFoundError } from "../../audit/audit-errors.ts";
import type { AuditFindings, AuditSignals } from "../../audit/audit-signals.ts";
import type { GitHubAuditSource } from "../../github/github-app.ts";
import { GitHubRequestError, InstallationUnavailableError } from "../../github/github-errors.ts";
import type { AppInngest } from "../client.ts";
import { auditCollectInvoked } from "../events.ts";
import { retryAtRateLimitReset } from "../retry-at-rate-limit.ts";
import {
  AUDIT_COLLECT_ID,
  AUDIT_COLLECT_INSTALLATION_KEY,
  AUDIT_INSTALLATION_LIMIT,
} from "./audit-run-flow.ts";

/** Derived, non-secret data only: signals, or a domain outcome audit-run records. */
export type Collected =
  | { ok: true; signals: AuditSignals | AuditFindings }
  | {
      ok: false;
      reason: "installation_deleted" | "installation_suspended" | "github_user_not_found";
    };

export interface AuditCollectDeps {
  /** null when no GitHub App is configured: audit-run then never invokes this. */
  github: GitHubAuditSource | null;
}

/** Every GitHub call of an audit, in a run keyed on the installation it uses. */
export function createAuditCollect(inngest: AppInngest, deps: AuditCollectDeps) {
  return inngest.createFunction(
    {
      id: AUDIT_COLLECT_ID,
      triggers: [auditCollectInvoked],
      // 5xx and network faults are retried here, once per audit: audit-run does not retry a
      // failed invocation (see audit-run.ts), so attempts never multiply.
      retries: 4,
      concurrency: [{ key: AUDIT_COLLECT_INSTALLATION_KEY, limit: AUDIT_INSTALLATION_LIMIT }],
    },
    async ({ event, step }): Promise<Collected> => {
      const { installationId, login } = event.data;
      return step.run("collect-signals", async (): Promise<Collected> => {
        if (!deps.github) {
          throw new NonRetriableError("[audit] audit-collect invoked without a GitHub App");
        }
        try {
          // The installation token is minted (or reused from memory) inside this step and
          // never leaves it: the step's output is derived, non-secret numbers.
          const signals = await deps.github.collectAuditSignals({ installationId, login });
          return { ok: true, signals };
        } catch (err) {
          if (err instanceof InstallationUnavailableError) {
            return {
              ok: false,
              reason: err.status === 404 ? "installation_deleted" : "installation_suspended",
            };
          }
          if (err instanceof GitHubUserNotFoundError) {
            return { ok: false, reason: "github_user_not_found" };
          }
          // Refused as asked (permissions, 422, a typed GraphQL error): the same request is
          // refused again, so no retry; audit-run's onFailure records permanent_error. GitHub
          // reports a GraphQL timeout as an error without a type: that one is retried.
          if (err instanceof GitHubRequestError && !mayPass(err)) {
            throw new NonRetriableError(err.message, { cause: err });
          }
          retryAtRateLimitReset(
            err,
            `[audit] GitHub rate limit for installation ${installationId}`,
          );
          throw err; // 5xx, network: retried by Inngest
        }
      });
    },
  );
}

/** GraphQL errors GitHub gives for its own trouble (a timeout carries no type): worth a retry. */
const TRANSIENT_GRAPHQL_TYPES = new Set(["UNTYPED", "SERVICE_UNAVAILABLE", "INTERNAL", "TIMEOUT"]);

function mayPass(err: GitHubRequestError): boolean {
  return err.graphqlTypes.some((type) => TRANSIENT_GRAPHQL_TYPES.has(type));
}
