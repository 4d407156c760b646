/**
 * Every webhook provider end to end: requests signed by the provider's own library arrive in the
 * `webhooks` queue normalized, exactly once; forged, tampered, stale, future-dated and unsigned
 * requests get the same generic 401 and enqueue nothing.
 */
import { reset } from "cloudflare:test";
import { createHash } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { decode, drain, envelope, GATEWAY } from "./support/api";
import { BASIC_NON_ASCII, ROTATING_SECRETS } from "./support/constants";
import {
  ingest,
  now,
  signedGitHubRequest,
  signedHmacRequest,
  signedShopifyRequest,
  signedSlackRequest,
  signedStandardRequest,
  signedStripeRequest,
  signedTwilioForm,
  signedTwilioJson,
  slackSignature,
  stripeEvent,
  twilioPublicBase,
  twilioSignature,
} from "./support/signing";

afterEach(() => reset());

type EnvelopeMessage = {
  id: string;
  source: string;
  received_at: string;
  delivery_id: string | null;
  event: string | null;
  content_type: string;
  headers: Record<string, string>;
  data: unknown;
};

async function delivered(queue = "webhooks"): Promise<EnvelopeMessage[]> {
  return (await drain(queue)).map((m) => decode(m) as EnvelopeMessage);
}

async function accepted(res: Response): Promise<string[]> {
  const body = await envelope<{ ids: string[] }>(res);
  expect({ status: res.status, success: body.success }).toEqual({ status: 202, success: true });
  return body.result.ids;
}

async function refusedGenerically(res: Response) {
  expect(res.status).toBe(401);
  expect(await res.json()).toEqual({
    success: false,
    errors: [{ code: 10000, message: "Unauthorized" }],
    messages: [],
    result: null,
  });
}

// Well past the 300 s tolerance: the gateway's clock may tick a second after the test's.
const stale = () => now() - 310;
const future = () => now() + 310;

describe("GitHub (signed with @octokit/webhooks-methods)", () => {
  it("arrives as an envelope with event, delivery id and allowlisted headers only", async () => {
    const body = '{"action":"opened","issue":{"id":12345678901234567890,"title":"é ✓"}}';
    const res = await signedGitHubRequest({
      body,
      headers: { "x-github-delivery": "d-1", "user-agent": "GitHub-Hookshot/1", cookie: "a=b" },
    });
    const [id] = await accepted(res);
    const [message, ...rest] = await delivered();
    expect(rest).toEqual([]);
    expect(message).toMatchObject({
      id,
      source: "github",
      delivery_id: "d-1",
      event: "issues",
      content_type: "application/json",
    });
    expect(message!.headers).toEqual({
      "x-github-event": "issues",
      "x-github-delivery": "d-1",
      "user-agent": "GitHub-Hookshot/1",
    });
    expect(new Date(message!.received_at).getTime()).toBeGreaterThan(Date.now() - 60_000);
  });

  it("refuses a tampered body, a wrong secret and a missing signature", async () => {
    await refusedGenerically(await signedGitHubRequest({ secret: "wrong" }));
    const good = await signedGitHubRequest({ body: '{"a":1}' });
    expect(good.status).toBe(202);
    await refusedGenerically(
      await ingest("github", '{"a":1}', { "content-type": "application/json", "x-github-event": "issues" }),
    );
    const sig = (await import("@octokit/webhooks-methods")).sign;
    await refusedGenerically(
      await ingest("github", '{"a":2}', {
        "content-type": "application/json",
        "x-hub-signature-256": await sig("local-dev-secret", '{"a":1}'),
      }),
    );
    expect((await delivered()).length).toBe(1);
  });

  it("a rotated secret list accepts the old and the new secret", async () => {
    for (const secret of ROTATING_SECRETS) {
      // Distinct bodies: GitHub deliveries are deduplicated on the signed body.
      expect(
        (await signedGitHubRequest({ source: "rotating", secret, body: JSON.stringify({ signed_with: secret }) }))
          .status,
      ).toBe(202);
    }
    await refusedGenerically(await signedGitHubRequest({ source: "rotating", secret: "older-still" }));
    expect((await delivered()).length).toBe(2);
  });

  it("a redelivery with the same X-GitHub-Delivery is answered as a duplicate and enqueued once", async () => {
    const first = await signedGitHubRequest({ headers: { "x-github-delivery": "same" } });
    const [id] = await accepted(first);
    const again = await signedGitHubRequest({ headers: { "x-github-delivery": "same" } });
    expect(again.status).toBe(200);
    expect((await envelope(again)).result).toEqual({ ids: [id], duplicate: true });
    expect((await delivered()).map((m) => m.id)).toEqual([id]);
  });
});

describe("Stripe (signed with stripe.webhooks.generateTestHeaderStringAsync)", () => {
  it("arrives with the body's type as event and its id as delivery id", async () => {
    await accepted(await signedStripeRequest({ body: stripeEvent("evt_123", "charge.refunded") }));
    const [message] = await delivered();
    expect(message).toMatchObject({ source: "stripe", event: "charge.refunded", delivery_id: "evt_123" });
  });

  it("refuses stale and future timestamps, a wrong secret and tampering; dedups by event id", async () => {
    await refusedGenerically(await signedStripeRequest({ at: stale() }));
    await refusedGenerically(await signedStripeRequest({ at: future() }));
    await refusedGenerically(await signedStripeRequest({ secret: "whsec_other" }));
    const body = stripeEvent("evt_dup");
    const stripe = new (await import("stripe")).default("sk_test");
    const header = await stripe.webhooks.generateTestHeaderStringAsync({ payload: body, secret: "local-dev-secret" });
    await refusedGenerically(
      await ingest("stripe", body.replace("2000", "2001"), {
        "content-type": "application/json",
        "stripe-signature": header,
      }),
    );
    expect((await signedStripeRequest({ body })).status).toBe(202);
    expect((await signedStripeRequest({ body })).status).toBe(200);
    expect((await delivered()).map((m) => m.delivery_id)).toEqual(["evt_dup"]);
  });
});

describe("Slack", () => {
  it("answers the url_verification challenge itself, enqueueing nothing", async () => {
    const res = await signedSlackRequest({
      body: '{"token":"t","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}',
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ challenge: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" });
    expect(await delivered()).toEqual([]);
  });

  it("accepts JSON events and form-encoded slash commands", async () => {
    await accepted(await signedSlackRequest());
    await accepted(
      await signedSlackRequest({
        body: "command=%2Fdeploy&text=prod&trigger_id=T1",
        contentType: "application/x-www-form-urlencoded",
      }),
    );
    const [event, command] = await delivered();
    expect(event).toMatchObject({ event: "app_mention", delivery_id: "Ev1" });
    expect(command).toMatchObject({
      event: "/deploy",
      content_type: "application/x-www-form-urlencoded",
      data: { command: "/deploy", text: "prod", trigger_id: "T1" },
    });
  });

  it("refuses stale, future and forged requests", async () => {
    await refusedGenerically(await signedSlackRequest({ at: stale() }));
    await refusedGenerically(await signedSlackRequest({ at: future() }));
    await refusedGenerically(await signedSlackRequest({ secret: "nope" }));
    const at = now();
    await refusedGenerically(
      await ingest("slack", '{"type":"x"}', {
        "content-type": "application/json",
        "x-slack-request-timestamp": String(at + 1),
        "x-slack-signature": slackSignature("local-dev-secret", at, '{"type":"x"}'),
      }),
    );
    expect(await delivered()).toEqual([]);
  });
});

describe("Shopify", () => {
  it("carries big integer ids exactly, with topic and webhook id", async () => {
    const body = '{"id":820982911946154508,"line_items":[{"id":866550311766439020,"price":"199.00"}],"name":"#1001"}';
    await accepted(await signedShopifyRequest({ body, headers: { "x-shopify-webhook-id": "wh-1" } }));
    const [pulled] = await drain("webhooks");
    const raw = new TextDecoder().decode(Uint8Array.from(atob(pulled!.body), (ch) => ch.charCodeAt(0)));
    expect(raw).toContain(`"data":${body}}`);
    expect(JSON.parse(raw)).toMatchObject({ event: "orders/create", delivery_id: "wh-1" });
  });

  it("refuses a wrong secret and a missing HMAC", async () => {
    await refusedGenerically(await signedShopifyRequest({ secret: "nope" }));
    await refusedGenerically(await ingest("shopify", "{}", { "content-type": "application/json" }));
  });
});

describe("Twilio", () => {
  const params = { CallSid: "CA1234567890ABCDE", From: "+12349013030", To: "+18005551212", Body: "hi" };

  it("accepts form posts signed over URL + sorted params, and JSON posts with bodySHA256", async () => {
    await accepted(await signedTwilioForm(params));
    await accepted(await signedTwilioJson('{"event":"status","sid":"SM1"}'));
    const [form, json] = await delivered();
    expect(form).toMatchObject({ source: "twilio", data: params });
    expect(json).toMatchObject({ data: { event: "status", sid: "SM1" } });
  });

  it("uses the configured public URL when a proxy rewrote it", async () => {
    expect(twilioPublicBase("proxied")).toBe("https://hooks.example.com");
    await accepted(await signedTwilioForm(params, { source: "proxied" }));
    await refusedGenerically(await signedTwilioForm(params, { source: "proxied", base: GATEWAY }));
  });

  it("verifies against the configured public URL, never the Host the request was sent to", async () => {
    // Signed for http://gateway.test (where it is sent), as a second gateway sharing the token would be.
    await refusedGenerically(await signedTwilioForm(params, { base: GATEWAY }));
    await refusedGenerically(await signedTwilioJson('{"event":"status"}', { base: GATEWAY }));
    await refusedGenerically(await signedTwilioForm(params, { base: "http://staging.example" }));
    expect(await delivered()).toEqual([]);
  });

  it("refuses changed params, a wrong token and a JSON body that does not match bodySHA256", async () => {
    await refusedGenerically(await signedTwilioForm(params, { secret: "nope" }));
    const url = `${twilioPublicBase()}/ingest/twilio`;
    const signature = twilioSignature("local-dev-secret", url, params);
    const changed = new URLSearchParams({ ...params, Body: "changed" }).toString();
    await refusedGenerically(
      await ingest("twilio", changed, {
        "content-type": "application/x-www-form-urlencoded",
        "x-twilio-signature": signature,
      }),
    );
    const query = `?bodySHA256=${createHash("sha256").update('{"a":1}').digest("hex")}`;
    const urlSignature = twilioSignature("local-dev-secret", `${url}${query}`);
    await refusedGenerically(
      await ingest(
        "twilio",
        '{"a":2}',
        { "content-type": "application/json", "x-twilio-signature": urlSignature },
        query,
      ),
    );
    expect(
      (
        await ingest(
          "twilio",
          '{"a":1}',
          { "content-type": "application/json", "x-twilio-signature": urlSignature },
          query,
        )
      ).status,
    ).toBe(202);
    expect((await delivered()).length).toBe(1);
  });
});

describe("Standard Webhooks (signed with the standardwebhooks library)", () => {
  it("arrives with webhook-id as delivery id and the body's type as event; repeats are duplicates", async () => {
    await accepted(await signedStandardRequest({}, "msg_fixed"));
    expect((await signedStandardRequest({}, "msg_fixed")).status).toBe(200);
    const [message, ...rest] = await delivered();
    expect(rest).toEqual([]);
    expect(message).toMatchObject({
      delivery_id: "msg_fixed",
      event: "user.created",
      data: { type: "user.created", data: { id: 1 } },
    });
    expect(message!.headers).toMatchObject({ "webhook-id": "msg_fixed" });
    expect(message!.headers["webhook-signature"]).toBeUndefined();
  });

  it("refuses stale, future and wrongly keyed requests", async () => {
    await refusedGenerically(await signedStandardRequest({ at: stale() }));
    await refusedGenerically(await signedStandardRequest({ at: future() }));
    await refusedGenerically(await signedStandardRequest({ secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" }));
    expect(await delivered()).toEqual([]);
  });
});

describe("generic HMAC (sha256=hex over {timestamp}.{body})", () => {
  it("accepts JSON and text, copying the configured header but never the signature", async () => {
    await accepted(await signedHmacRequest());
    await accepted(await signedHmacRequest({ body: "plain text", contentType: "text/plain; charset=utf-8" }));
    const [json, text] = await delivered();
    expect(json).toMatchObject({ source: "hmac", data: { kind: "ping" }, headers: { "x-event-type": "ping" } });
    expect(json!.headers["x-signature"]).toBeUndefined();
    expect(text).toMatchObject({ content_type: "text/plain", data: "plain text" });
  });

  it("refuses stale, future and forged requests", async () => {
    await refusedGenerically(await signedHmacRequest({ at: stale() }));
    await refusedGenerically(await signedHmacRequest({ at: future() }));
    await refusedGenerically(await signedHmacRequest({ secret: "nope" }));
    await refusedGenerically(await signedHmacRequest({ headers: { "x-timestamp": String(now() - 5) } }));
    expect(await delivered()).toEqual([]);
  });
});

describe("HTTP Basic", () => {
  it("accepts configured credentials only", async () => {
    const auth = (user: string) => ({ "content-type": "application/json", authorization: `Basic ${btoa(user)}` });
    await accepted(await ingest("basic", '{"ok":true}', auth("alice:wonderland")));
    await refusedGenerically(await ingest("basic", '{"ok":true}', auth("alice:guess")));
    await refusedGenerically(await ingest("basic", '{"ok":true}', { "content-type": "application/json" }));
    expect((await delivered()).length).toBe(1);
  });

  it("decodes credentials as UTF-8: a non-ASCII password matches, its Latin-1 encoding does not", async () => {
    const utf8 = btoa(String.fromCharCode(...new TextEncoder().encode(BASIC_NON_ASCII)));
    const latin1 = btoa(BASIC_NON_ASCII);
    expect(utf8).not.toBe(latin1);
    const basic = (credentials: string) => ({
      "content-type": "application/json",
      authorization: `Basic ${credentials}`,
    });
    await accepted(await ingest("basic", '{"n":1}', basic(utf8)));
    await refusedGenerically(await ingest("basic", '{"n":2}', basic(latin1)));
    expect((await delivered()).map((m) => m.data)).toEqual([{ n: 1 }]);
  });
});
