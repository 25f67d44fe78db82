import { Middleware, NonRetriableError } from "inngest";
import {
  ERROR_FIELDS,
  findCredentials,
  redactCredentials,
  redactValue,
  type CredentialFinding,
} from "./find-credentials.ts";

/**
 * Inngest persists, in plaintext and without truncation, every sent event,
 * step input and output, step and function error (message, stack, cause) and
 * function result. This middleware keeps credentials out of all of them.
 *
 * Add the class LAST to the client's middleware: transforms run in array order, so it
 * sees what others (encryption, say) hand to the SDK. Only wrap and transform hooks can
 * stop anything; the SDK catches errors thrown from on* hooks.
 */

const MAX_LISTED = 10;
// Their headers and auth_key travel in op opts that Inngest stores and no hook sees: refused outright.
const OPAQUE_STEP_TYPES = new Set(["fetch", "ai.infer"]);

/**
 * Non-retriable: the same code would produce the same credential again. Its message
 * lists paths and kinds, never values.
 */
export class CredentialLeakError extends NonRetriableError {
  readonly findings: readonly CredentialFinding[];

  constructor(subject: string, findings: readonly CredentialFinding[], advice: string) {
    const listed = findings.slice(0, MAX_LISTED).map((f) => `${f.path} (${f.kind})`);
    if (findings.length > MAX_LISTED) listed.push(`and ${findings.length - MAX_LISTED} more`);
    super(
      `[credential-firewall] refused ${redactCredentials(subject)}: ${listed.join(", ")}; ${advice}`,
    );
    this.name = "CredentialLeakError";
    this.findings = findings;
  }
}

function refuseIfLeaking(value: unknown, subject: string, advice: string): void {
  const findings = findCredentials(value);
  if (findings.length > 0) throw new CredentialLeakError(subject, findings, advice);
}

/**
 * Redacts a thrown value before the SDK stores it (message, stack, cause chain; a
 * non-Error's JSON). Errors are fixed in place: the SDK compares a rethrown step error
 * by identity to decide retriability (test/unit/credential-firewall.test.ts pins it).
 */
export function redactThrown(thrown: unknown): unknown {
  if (typeof thrown === "string") return redactCredentials(thrown);
  if (thrown instanceof Error) {
    const clean = redactValue(thrown);
    if (clean === thrown) return thrown;
    try {
      for (const key of new Set([...ERROR_FIELDS, ...Object.keys(clean)])) {
        const value: unknown = Reflect.get(clean, key);
        if (value === Reflect.get(thrown, key)) continue;
        const enumerable = Object.getOwnPropertyDescriptor(thrown, key)?.enumerable ?? false;
        Object.defineProperty(thrown, key, {
          value,
          enumerable,
          writable: true,
          configurable: true,
        });
      }
      return thrown;
    } catch {
      return clean; // frozen or exotic error: the prototype-preserving copy will do
    }
  }
  const findings = findCredentials(thrown);
  if (findings.length === 0) return thrown;
  // Serialization of a non-Error thrown value stores its JSON as the message.
  return new CredentialLeakError(
    "a thrown non-Error value",
    findings,
    "it was withheld; throw an Error with a safe message",
  );
}

export class CredentialFirewall extends Middleware.BaseMiddleware {
  readonly id = "credential-firewall";

  // Runs for both `inngest.send()` and `step.sendEvent`, before schema
  // validation and before the HTTP call; throwing aborts the whole batch.
  override transformSendEvent(
    arg: Middleware.TransformSendEventArgs,
  ): Middleware.TransformSendEventArgs {
    for (const event of arg.events) {
      refuseIfLeaking(
        event,
        `event "${String(event.name)}"`,
        "send an id the consumer can resolve instead of the secret",
      );
    }
    return arg;
  }

  // Step inputs travel in the op's `opts` and are stored: `step.run(id, fn, ...args)`
  // args, `step.invoke` payloads, `step.waitForEvent` match expressions. A throw
  // here rejects the run before the op is reported or the step body runs.
  override transformStepInput(
    arg: Middleware.TransformStepInputArgs,
  ): Middleware.TransformStepInputArgs {
    const { stepInfo, stepOptions, input } = arg;
    if (OPAQUE_STEP_TYPES.has(stepInfo.stepType)) {
      throw new CredentialLeakError(
        `step "${stepOptions.id}" (${stepInfo.stepType})`,
        [{ path: "$.opts", kind: "uninspectable-step-opts" }],
        "Inngest stores its request headers / auth_key and no middleware hook exposes them; make the call inside step.run",
      );
    }
    refuseIfLeaking(
      input,
      `input of step "${stepOptions.id}"`,
      "pass an id and load the secret inside the step",
    );
    return arg;
  }

  // Only called for step.run and step.sendEvent attempts; what it returns or
  // throws is exactly what is reported to Inngest for the step.
  override async wrapStepHandler({
    next,
    stepInfo,
  }: Middleware.WrapStepHandlerArgs): Promise<unknown> {
    let output: unknown;
    try {
      output = await next();
    } catch (err) {
      throw redactThrown(err);
    }
    refuseIfLeaking(
      output,
      `output of step "${stepInfo.options.id}"`,
      "return only derived, non-secret data",
    );
    return output;
  }

  // Sees the function's return value and anything it throws, including errors
  // thrown outside steps, before serialization.
  override async wrapFunctionHandler({
    next,
    fn,
  }: Middleware.WrapFunctionHandlerArgs): Promise<unknown> {
    let result: unknown;
    try {
      result = await next();
    } catch (err) {
      throw redactThrown(err);
    }
    refuseIfLeaking(
      result,
      `return value of function "${fn.id()}"`,
      "return only derived, non-secret data",
    );
    return result;
  }
}
