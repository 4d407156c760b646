/**
 * Property tests (fast-check): random bodies, headers, content types and encodings thrown at
 * every example ingest source and every queue route. Never a 5xx, always the envelope, and the
 * queues hold exactly what the 2xx answers reported.
 */
import { reset, SELF } from "cloudflare:test";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { GATEWAY, pull } from "./support/api";
import {
  adminRequest,
  apiRequest,
  ingestRequest,
  sendHostileAdmin,
  sendHostileApi,
  sendHostileIngest,
} from "./support/hostile";

afterEach(() => reset());

async function backlog(): Promise<number> {
  let total = 0;
  for (const queue of ["webhooks", "events", "forms"])
    total += (await pull(queue, { batch_size: 1, visibility_timeout_ms: 1 })).message_backlog_count;
  return total;
}

describe("hostile ingest requests", () => {
  it("never 5xx, always the envelope, and only 2xx answers enqueue", async () => {
    let reported = 0;
    await fc.assert(
      fc.asyncProperty(ingestRequest, async (request) => {
        const answer = await sendHostileIngest(request);
        if (answer.status === 202) reported += (answer.json as { result: { ids: string[] } }).result.ids.length;
      }),
      { numRuns: 400 },
    );
    expect(await backlog()).toBe(reported);
  });
});

describe("hostile admin requests", () => {
  it("never 5xx, always the envelope, and no key reaches a queue outside its list", async () => {
    await fc.assert(
      fc.asyncProperty(adminRequest, async (request) => {
        await sendHostileAdmin(request);
      }),
      { numRuns: 200 },
    );
  });
});

describe("hostile queue API requests", () => {
  it("never 5xx and always the envelope", async () => {
    await fc.assert(
      fc.asyncProperty(apiRequest, async (request) => {
        await sendHostileApi(request);
      }),
      { numRuns: 400 },
    );
    // The Worker still serves normally afterwards.
    expect(
      (
        await SELF.fetch(`${GATEWAY}/client/v4/accounts/a/queues/webhooks/messages/pull`, {
          method: "POST",
          headers: { authorization: "Bearer local-dev-key", "content-type": "application/json" },
          body: "{}",
        })
      ).status,
    ).toBe(200);
  });
});
