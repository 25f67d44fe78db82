import type { RpcClient } from "../../db/rpc/rpc-client.ts";
import { redactCredentials } from "../../security/find-credentials.ts";
import { INNGEST_APP_ID, type AppInngest } from "../client.ts";
import { permanentErrorsEndRuns } from "../permanent-rpc.ts";

export const DEAD_LETTER_ACTOR = "system:dead-letter";
const FUNCTION_ID = "dead-letter";
const MAX_MESSAGE = 1000;

/**
 * Inngest announces every failed run as inngest/function.failed, with the app-prefixed
 * function id. This app's failures only, and never this function's own (a failing dead
 * letter must not feed itself).
 */
export const DEAD_LETTER_IF = `event.data.function_id.startsWith("${INNGEST_APP_ID}-") && event.data.function_id != "${INNGEST_APP_ID}-${FUNCTION_ID}"`;

interface FailedEventData {
  function_id: string;
  run_id: string;
  error?: { name?: unknown; message?: unknown };
  event?: { name?: unknown; id?: unknown };
}

const text = (value: unknown, max = 200) =>
  typeof value === "string" ? value.slice(0, max) : null;

/** Records each failed run: identifiers and a redacted message, never event data or a stack. */
export function createDeadLetter(inngest: AppInngest, deps: { rpc: RpcClient }) {
  const rpc = permanentErrorsEndRuns(deps.rpc);
  return inngest.createFunction(
    {
      id: FUNCTION_ID,
      triggers: [{ event: "inngest/function.failed", if: DEAD_LETTER_IF }],
      retries: 4,
    },
    async ({ event, step }) => {
      const data = event.data as unknown as FailedEventData;
      // Redacted whole, then cut: a credential cut in two at the limit would keep a prefix
      // too short to be recognized.
      const raw = data.error?.message;
      const message = typeof raw === "string" ? redactCredentials(raw).slice(0, MAX_MESSAGE) : null;
      return step.run("record-failed-run", async () => {
        const [row] = await rpc.call("record_failed_run", {
          p_run_id: data.run_id,
          p_function_id: data.function_id,
          p_event_name: text(data.event?.name),
          p_event_id: text(data.event?.id),
          p_error_name: text(data.error?.name),
          p_error_message: message,
          p_actor: DEAD_LETTER_ACTOR,
        });
        return { runId: data.run_id, recorded: row?.created ?? false };
      });
    },
  );
}
