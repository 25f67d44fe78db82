import canonicalize from "canonicalize";
import { applyOps, finish, type LiveRun, type Op, type WorkItem } from "./run.ts";
import { SIGNATURE_HEADER, hasValidResponseSignature, signatureHeader } from "./sign.ts";
import { InngestExecutorError, type AttemptRecord } from "./types.ts";

export interface RunDeps {
  handler: (req: Request) => Response | Promise<Response>;
  url: (slug: string, stepId: string) => string;
  signingKey: string;
}

const MAX_REQUESTS_PER_RUN = 500;

async function request(run: LiveRun, item: WorkItem, deps: RunDeps): Promise<void> {
  const { record, entry } = run;
  // `ctx.fn_id` is left out on purpose: with it (and `qi_id`) v4 runs steps
  // back to back, POSTs them to {apiBase}/v1/checkpoint/<runId>/async and
  // answers one RunComplete op; with fn_id alone its checkpoint throws inside
  // and it falls back to answering ops. `max_attempts` is sent, as Inngest
  // does, because the SDK reads it to choose StepFailed over StepError and
  // 400 over 500 on the last attempt. `stack.current` is unused by v4.
  const payload = {
    version: 2,
    event: record.event,
    events: [record.event],
    steps: run.memo,
    ctx: {
      run_id: record.runId,
      attempt: item.attempt,
      max_attempts: entry.maxAttempts,
      disable_immediate_execution: run.disableImmediateExecution,
      use_api: false,
      stack: { stack: run.stack, current: run.stack.length - 1 },
    },
  };
  // The SDK verifies the HMAC over canonicalize(JSON.parse(body)), so only the
  // signed text must be canonical (RFC 8785). The body keeps producer key
  // order: sending the canonical text instead would hand functions memoized
  // step outputs with sorted keys.
  const body = JSON.stringify(payload);
  const canonical = canonicalize(JSON.parse(body));
  if (canonical === undefined)
    throw new InngestExecutorError(`run ${record.runId} has a body that is not JSON`);
  const res = await deps.handler(
    new Request(deps.url(entry.slug, item.stepId), {
      method: "POST",
      body,
      headers: {
        "content-type": "application/json",
        "x-inngest-server-kind": "cloud",
        [SIGNATURE_HEADER]: signatureHeader(deps.signingKey, canonical),
      },
    }),
  );
  const text = await res.text();
  if (res.status === 401) {
    throw new InngestExecutorError(
      `handler rejected the signed request for ${entry.slug}: 401 ${text}`,
      401,
    );
  }
  if (!hasValidResponseSignature(res, deps.signingKey, text)) {
    throw new InngestExecutorError(
      `${res.status} from ${entry.slug} is not signed with our key: ${text.slice(0, 300)}`,
      res.status,
    );
  }
  const attempt: AttemptRecord = { stepId: item.stepId, attempt: item.attempt, status: res.status };
  const retryAfter = res.headers.get("retry-after");
  if (retryAfter) attempt.retryAfter = retryAfter; // recorded, never waited for
  record.attempts.push(attempt);
  const answer: unknown = text ? JSON.parse(text) : null;

  if (res.status === 200) return finish(run, "completed", answer);
  if (res.status === 206) return applyOps(run, item, attempt, answer as Op[]);
  attempt.error = answer;
  const noRetry = res.headers.get("x-inngest-no-retry") === "true";
  if (noRetry || item.attempt + 1 >= entry.maxAttempts) return finish(run, "failed", answer);
  run.todo.unshift({ stepId: item.stepId, attempt: item.attempt + 1 });
}

/** Calls the handler until the run completes, fails, or only waits remain. */
export async function driveRun(run: LiveRun, deps: RunDeps): Promise<void> {
  run.record.status = "running";
  while (run.record.status === "running") {
    const item = run.todo.shift();
    if (!item) {
      if (run.waits.size === 0 && run.invokes.size === 0)
        throw new InngestExecutorError(`run ${run.record.runId} stopped without an outcome`);
      run.record.status = "waiting";
      return;
    }
    if (run.record.attempts.length >= MAX_REQUESTS_PER_RUN) {
      throw new InngestExecutorError(
        `run ${run.record.runId} made ${MAX_REQUESTS_PER_RUN} requests; is it looping?`,
      );
    }
    await request(run, item, deps);
  }
}
