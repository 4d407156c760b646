// Pieces the Node-side tests share: Debian's headless Chromium (driven by playwright-core), and
// draining a queue through the official SDK.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { chromium } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Headless Chromium; fails with what to install when it is missing. */
export async function launchChromium() {
  assert.ok(
    existsSync(CHROMIUM),
    `Chromium not found at ${CHROMIUM}: install Debian's chromium package (.ci/run does)`,
  );
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
}

/** Pulls and acks everything in `queue` with the official SDK; returns the JSON bodies in arrival order. */
export async function drainJson(client, queue) {
  const bodies = [];
  for (;;) {
    const { messages = [] } = await client.queues.messages.pull(queue, { account_id: "local", batch_size: 100 });
    if (!messages.length) return bodies;
    bodies.push(...messages.map((m) => JSON.parse(Buffer.from(m.body, "base64").toString("utf8"))));
    await client.queues.messages.ack(queue, {
      account_id: "local",
      acks: messages.map((m) => ({ lease_id: m.lease_id })),
    });
  }
}
