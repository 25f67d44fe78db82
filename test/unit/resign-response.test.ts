import { describe, expect, it } from "vitest";
import { resignResponse } from "../../src/http/inngest/resign-response.ts";
import { hasValidResponseSignature, signatureHeader } from "../support/inngest-executor/sign.ts";

const PRIMARY = "signkey-prod-aa11";
const FALLBACK = "signkey-prod-bb22";

function signedBy(key: string, body: string) {
  return new Response(body, {
    status: 500,
    headers: {
      "x-inngest-signature": signatureHeader(key, body),
      "content-type": "application/json",
    },
  });
}

describe("resignResponse", () => {
  it.each([PRIMARY, FALLBACK])(
    "signs the new body with the key that signed the old one (%s)",
    (key) => {
      const res = resignResponse(
        signedBy(key, '{"stack":"at /x"}'),
        '{"stack":"at /x"}',
        '{"stack":""}',
        [PRIMARY, FALLBACK],
      );
      expect(res.status).toBe(500);
      expect(res.headers.get("content-type")).toBe("application/json");
      expect(hasValidResponseSignature(res, key, '{"stack":""}')).toBe(true);
    },
  );

  it("leaves the new body unsigned when none of our keys signed the old one", () => {
    const res = resignResponse(signedBy("signkey-prod-cc33", "{}"), "{}", "[]", [
      PRIMARY,
      FALLBACK,
    ]);
    expect(res.headers.has("x-inngest-signature")).toBe(false);
  });
});
