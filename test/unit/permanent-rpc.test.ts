import { NonRetriableError } from "inngest";
import { describe, expect, it } from "vitest";
import {
  DatabaseUnavailableError,
  InvalidArgumentsError,
  RpcContractError,
  RpcError,
} from "../../src/db/rpc/errors.ts";
import type { RpcClient } from "../../src/db/rpc/rpc-client.ts";
import { permanentErrorsEndRuns } from "../../src/inngest/permanent-rpc.ts";

function failingWith(err: Error): RpcClient {
  return {
    transport: "sql",
    call: () => Promise.reject(err),
    close: () => Promise.resolve(),
  };
}

const call = (rpc: RpcClient) => rpc.call("mark_audit_announced", { p_audit_id: 1, p_actor: "x" });

describe("permanentErrorsEndRuns", () => {
  it.each([
    ["RpcContractError", new RpcContractError("mark_audit_announced", "contract", "bad row")],
    ["InvalidArgumentsError", new InvalidArgumentsError("mark_audit_announced", "22023", "bad")],
  ])("turns %s into NonRetriableError, keeping the cause", async (_, err) => {
    const thrown: unknown = await call(permanentErrorsEndRuns(failingWith(err))).catch(
      (e: unknown) => e,
    );
    expect(thrown).toBeInstanceOf(NonRetriableError);
    expect(thrown).toMatchObject({ message: err.message, cause: err });
  });

  it.each([
    [
      "DatabaseUnavailableError",
      new DatabaseUnavailableError("mark_audit_announced", "57P03", "down"),
    ],
    ["a bare RpcError", new RpcError("mark_audit_announced", "XX000", "unknown")],
    ["a plain Error", new Error("socket hang up")],
  ])("rethrows %s unchanged, so Inngest retries it", async (_, err) => {
    const thrown: unknown = await call(permanentErrorsEndRuns(failingWith(err))).catch(
      (e: unknown) => e,
    );
    expect(thrown).toBe(err);
    expect(thrown).not.toBeInstanceOf(NonRetriableError);
  });
});
