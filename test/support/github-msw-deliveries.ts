import { http, HttpResponse, type RequestHandler } from "msw";

/** One attempt of one delivery, as GET /app/hook/deliveries lists it (newest first). */
export interface FakeHookDelivery {
  id: number;
  guid: string;
  delivered_at: string;
  redelivery: boolean;
  status: string;
  status_code: number;
  event: string;
  action: string | null;
  installation_id: number | null;
}

export interface FakeDeliveriesState {
  hookDeliveries: FakeHookDelivery[];
  /** Delivery ids POSTed to /app/hook/deliveries/:id/attempts, in order. */
  redeliveryRequests: number[];
  /** Cursors the client followed, to prove it paged. */
  deliveryCursors: (string | null)[];
}

/**
 * The App's webhook delivery log: App-JWT only (`verify` checks `bearer <App JWT>`), cursor
 * pagination through the Link header as GitHub does, and redelivery requests.
 */
export function deliveryHandlers(
  baseUrl: string,
  state: FakeDeliveriesState,
  verify: (authorization: string | null) => Promise<{ jwt: string } | { problem: string }>,
): RequestHandler[] {
  const refused = async (request: Request) => {
    const verified = await verify(request.headers.get("authorization"));
    return "problem" in verified
      ? HttpResponse.json({ message: "A JSON web token could not be decoded" }, { status: 401 })
      : undefined;
  };
  return [
    http.get(`${baseUrl}/app/hook/deliveries`, async ({ request }) => {
      const refusal = await refused(request);
      if (refusal) return refusal;
      const url = new URL(request.url);
      const perPage = Math.min(Number(url.searchParams.get("per_page") ?? 30), 100);
      const cursor = url.searchParams.get("cursor");
      state.deliveryCursors.push(cursor);
      const start = cursor ? Number(cursor) : 0;
      const page = state.hookDeliveries.slice(start, start + perPage);
      const headers: Record<string, string> = {};
      if (start + perPage < state.hookDeliveries.length) {
        const next = new URL(url);
        next.searchParams.set("cursor", String(start + perPage));
        next.searchParams.set("per_page", String(perPage));
        headers.link = `<${next.href}>; rel="next"`;
      }
      return HttpResponse.json(page, { headers });
    }),
    http.post(`${baseUrl}/app/hook/deliveries/:id/attempts`, async ({ request, params }) => {
      const refusal = await refused(request);
      if (refusal) return refusal;
      state.redeliveryRequests.push(Number(params.id));
      return HttpResponse.json({}, { status: 202 });
    }),
  ];
}
