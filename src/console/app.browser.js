// @ts-check
/**
 * The operator console's script, served as /console/app.js (type-checked with
 * tsconfig.browser.json). It signs in with an admin key, keeps it in this tab's sessionStorage
 * only (never in a URL or a cookie), and calls the gateway's existing JSON routes with it.
 *
 * Everything shown from messages, dead letters and refusals was written by strangers: it is
 * only ever rendered as text (createElement, textContent, append of strings). Nothing here
 * parses markup, builds a link or sets a URL from data; the CSP (src/console/headers.ts) and
 * Trusted Types back that up.
 */

const KEY_STORAGE = "tributary.console.key";
/** The account segment of the Queues API paths: accepted for compatibility and ignored by the gateway. */
const ACCOUNT = "local";
const REFRESH_MS = 3_000;
/** The backlog chart covers this much backlogHistory. */
const CHART_WINDOW_MS = 10 * 60_000;
const DEAD_LETTER_PAGE = 20;
const REFUSALS_SHOWN = 200;
const SERIES_CLASSES = 8;

/** @typedef {{ name: string, upstream: string, mode: string, buffer: { shards: number, pending_messages: number, pending_bytes: number, oldest_pending_ms: number, flushes: number, flushed_messages: number, failed_flushes: number, dead_letters: number, backoff_until?: number } }} QueueState */
/** @typedef {{ backlog_count: number, backlog_bytes: number, oldest_message_timestamp_ms: number }} Metrics */
/** @typedef {{ id: string, ref: string, attempts: number, timestamp_ms: number, body: string, metadata?: Record<string, string> }} Peeked */
/** @typedef {{ shard: number, id: string, content_type: string, bytes: number, enqueued_at: number, failed_at: number, error: string, body: string }} DeadLetter */
/** @typedef {{ source: string, queue: string, reason: string, status: number, at: number, request_id: string }} Refusal */

// ---------------------------------------------------------------------------------------------
// DOM helpers: text only.

/** @param {string} id */
function byId(id) {
  const element = document.getElementById(id);
  if (!element) throw new Error(`missing #${id}`);
  return element;
}
/** @param {string} id */
const input = (id) => /** @type {HTMLInputElement} */ (byId(id));
/** @param {string} id */
const select = (id) => /** @type {HTMLSelectElement} */ (byId(id));
/** @param {string} id */
const button = (id) => /** @type {HTMLButtonElement} */ (byId(id));

/**
 * An element with a class and children; strings become text nodes (Node.append never parses markup).
 * @param {string} tag
 * @param {string} [className]
 * @param {(Node | string)[]} [children]
 */
function el(tag, className, children = []) {
  const element = document.createElement(tag);
  if (className) element.className = className;
  element.append(...children);
  return element;
}

/** @param {(Node | string)[]} cells @param {(string | undefined)[]} [classes] */
function row(cells, classes = []) {
  return el(
    "tr",
    undefined,
    cells.map((cell, i) => el("td", classes[i], [cell])),
  );
}

/** @param {string} message */
function showStatus(message) {
  byId("status").textContent = message;
}

// ---------------------------------------------------------------------------------------------
// Formatting.

/** @param {number} bytes */
function formatBytes(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** @param {number} ms */
function formatAge(ms) {
  if (ms <= 0) return "–";
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** @param {number} ms */
const formatTime = (ms) => (ms > 0 ? new Date(ms).toLocaleString() : "–");

/** @param {string} base64 */
function decodeBase64(base64) {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  return new TextDecoder("utf-8", { fatal: false }).decode(bytes);
}

/**
 * JSON text, pretty-printed. Integers beyond 2^53 keep their digits where the browser supports
 * JSON.parse source access (JSON.rawJSON); otherwise the text is shown as it came.
 * @param {string} text
 */
function prettyJson(text) {
  /** @type {any} */
  const json = JSON;
  try {
    if (typeof json.rawJSON === "function") {
      /** @type {(key: string, value: unknown, context?: { source?: string }) => unknown} */
      const keepDigits = (_key, value, context) =>
        typeof value === "number" && !Number.isSafeInteger(value) && context?.source && /^-?\d+$/.test(context.source)
          ? json.rawJSON(context.source)
          : value;
      return JSON.stringify(json.parse(text, keepDigits), null, 2);
    }
    const value = JSON.parse(text);
    return /\d{16,}/.test(text) ? text : JSON.stringify(value, null, 2);
  } catch {
    return text;
  }
}

/**
 * A message body as text: JSON pretty-printed, text as it is, anything else as its base64.
 * @param {string} body
 * @param {string} contentType
 * @param {boolean} base64 whether the body arrives base64-encoded (peek: json bodies are)
 */
function bodyText(body, contentType, base64) {
  if (contentType === "json") {
    try {
      return prettyJson(base64 ? decodeBase64(body) : body);
    } catch {
      return body;
    }
  }
  return body;
}

// ---------------------------------------------------------------------------------------------
// The API: the key goes in the Authorization header, nowhere else.

class ApiError extends Error {
  /** @param {number} status @param {string} message */
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/**
 * @param {string} path
 * @param {{ method?: string, body?: unknown }} [options]
 * @returns {Promise<any>} the envelope
 */
async function api(path, options = {}) {
  const key = sessionStorage.getItem(KEY_STORAGE);
  if (!key) throw new ApiError(401, "not signed in");
  /** @type {Record<string, string>} */
  const headers = { authorization: `Bearer ${key}` };
  if (options.body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(path, {
    method: options.method ?? "GET",
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    credentials: "omit",
    cache: "no-store",
    redirect: "error",
  });
  /** @type {any} */
  let envelope = null;
  try {
    envelope = await response.json();
  } catch {
    // Not JSON: reported below by status.
  }
  if (!response.ok || !envelope?.success) {
    const message = envelope?.errors?.[0]?.message ?? `HTTP ${response.status}`;
    if (response.status === 401) signOut(`Signed out: ${message}`);
    throw new ApiError(response.status, String(message));
  }
  return envelope;
}

/** @param {string} queue @param {string} action */
const queuePath = (queue, action) => `/client/v4/accounts/${ACCOUNT}/queues/${encodeURIComponent(queue)}/${action}`;
/** @param {string} queue @param {string} action */
const deadLetterPath = (queue, action) => `/admin/queues/${encodeURIComponent(queue)}/dead-letters${action}`;

// ---------------------------------------------------------------------------------------------
// Signing in and out.

/** @type {number | undefined} */
let timer;

/** @param {string} [message] */
function signOut(message = "") {
  sessionStorage.removeItem(KEY_STORAGE);
  if (timer !== undefined) clearInterval(timer);
  timer = undefined;
  byId("app").hidden = true;
  byId("sign-in").hidden = false;
  button("sign-out").hidden = true;
  byId("sign-in-error").textContent = message;
  showStatus("");
}

/** @param {SubmitEvent} event */
async function signIn(event) {
  event.preventDefault();
  const field = input("key");
  const key = field.value.trim();
  field.value = "";
  if (!key) return;
  sessionStorage.setItem(KEY_STORAGE, key);
  try {
    await api("/admin/queues");
  } catch (err) {
    sessionStorage.removeItem(KEY_STORAGE);
    byId("sign-in-error").textContent =
      err instanceof ApiError && err.status === 403
        ? "This key does not have the admin scope."
        : `Sign-in failed: ${String(err)}`;
    return;
  }
  await start();
}

async function start() {
  byId("sign-in").hidden = true;
  byId("sign-in-error").textContent = "";
  byId("app").hidden = false;
  button("sign-out").hidden = false;
  await refresh();
  timer = setInterval(() => void refresh(), REFRESH_MS);
}

// ---------------------------------------------------------------------------------------------
// Queues: buffer state, backlog, and its backlogHistory.

/** @type {Map<string, { t: number, count: number }[]>} */
const backlogHistory = new Map();
/** @type {string[]} */
let queueNames = [];

async function refresh() {
  try {
    /** @type {QueueState[]} */
    const queues = (await api("/admin/queues")).result;
    const metrics = await Promise.all(
      queues.map(async (q) => {
        try {
          return /** @type {Metrics} */ ((await api(queuePath(q.name, "metrics"))).result);
        } catch {
          return null;
        }
      }),
    );
    const now = Date.now();
    queues.forEach((q, i) => {
      const m = metrics[i];
      if (!m) return;
      const points = backlogHistory.get(q.name) ?? [];
      points.push({ t: now, count: m.backlog_count });
      while (points.length && (points[0]?.t ?? now) < now - CHART_WINDOW_MS) points.shift();
      backlogHistory.set(q.name, points);
    });
    renderQueues(queues, metrics, now);
    renderChart(now);
    setQueueChoices(queues.map((q) => q.name));
    await refreshRefusals();
    byId("refreshed").textContent = `updated ${new Date(now).toLocaleTimeString()}`;
    showStatus("");
  } catch (err) {
    if (sessionStorage.getItem(KEY_STORAGE)) showStatus(`Refresh failed: ${String(err)}`);
  }
}

/** @param {QueueState[]} queues @param {(Metrics | null)[]} metrics @param {number} now */
function renderQueues(queues, metrics, now) {
  const rows = queues.map((q, i) => {
    const m = metrics[i];
    const b = q.buffer;
    const backoff = b.backoff_until && b.backoff_until > now ? `${formatAge(b.backoff_until - now)} left` : "–";
    const oldest = m && m.oldest_message_timestamp_ms > 0 ? formatAge(now - m.oldest_message_timestamp_ms) : "–";
    const tr = row(
      [
        q.name,
        `${q.upstream} · ${q.mode}`,
        m ? String(m.backlog_count) : "?",
        m ? formatBytes(m.backlog_bytes) : "?",
        oldest,
        String(b.pending_messages),
        String(b.flushes),
        String(b.failed_flushes),
        backoff,
        String(b.dead_letters),
      ],
      [
        undefined,
        "muted",
        "num",
        "num",
        "num",
        "num",
        "num",
        b.failed_flushes ? "num warn" : "num",
        backoff === "–" ? undefined : "warn",
        b.dead_letters ? "num warn" : "num",
      ],
    );
    tr.dataset.queue = q.name;
    return tr;
  });
  byId("queue-rows").replaceChildren(...rows);
}

const SVG = "http://www.w3.org/2000/svg";
/**
 * @param {string} tag
 * @param {Record<string, string | number>} attributes numbers and fixed names only, never data
 */
function svg(tag, attributes) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  return node;
}

/** @param {number} now */
function renderChart(now) {
  const width = 800;
  const height = 160;
  const pad = { left: 40, right: 8, top: 8, bottom: 18 };
  const names = [...backlogHistory.keys()].sort();
  const max = Math.max(1, ...names.flatMap((n) => (backlogHistory.get(n) ?? []).map((p) => p.count)));
  const x = (/** @type {number} */ t) =>
    pad.left + ((t - (now - CHART_WINDOW_MS)) / CHART_WINDOW_MS) * (width - pad.left - pad.right);
  const y = (/** @type {number} */ v) => pad.top + (1 - v / max) * (height - pad.top - pad.bottom);
  const root = svg("svg", {
    viewBox: `0 0 ${width} ${height}`,
    preserveAspectRatio: "none",
    role: "img",
    "aria-label": "Backlog per queue",
  });
  for (const v of [0, max / 2, max]) {
    root.append(svg("line", { class: "grid", x1: pad.left, x2: width - pad.right, y1: y(v), y2: y(v) }));
    const label = svg("text", { class: "axis", x: 4, y: y(v) + 3 });
    label.textContent = String(Math.round(v));
    root.append(label);
  }
  for (const minutes of [10, 5, 0]) {
    const label = svg("text", { class: "axis", x: Math.min(width - 40, x(now - minutes * 60_000)), y: height - 4 });
    label.textContent = minutes ? `-${minutes} min` : "now";
    root.append(label);
  }
  const legend = names.map((name, i) => {
    const points = backlogHistory.get(name) ?? [];
    const series = `s${i % SERIES_CLASSES}`;
    if (points.length) {
      const line = svg("polyline", {
        class: series,
        points: points.map((p) => `${x(p.t).toFixed(1)},${y(p.count).toFixed(1)}`).join(" "),
      });
      root.append(line);
    }
    return el("li", series, [el("span", undefined, [`${name} (${points.at(-1)?.count ?? "?"})`])]);
  });
  byId("chart").replaceChildren(root);
  byId("legend").replaceChildren(...legend);
}

/** @param {string[]} names */
function setQueueChoices(names) {
  if (names.join("\n") === queueNames.join("\n")) return;
  queueNames = names;
  for (const id of ["peek-queue", "dl-queue"]) {
    const choice = select(id);
    const current = choice.value;
    choice.replaceChildren(...names.map((name) => new Option(name, name)));
    if (names.includes(current)) choice.value = current;
  }
}

// ---------------------------------------------------------------------------------------------
// Messages: peek and purge by ref.

/** The ref of each peeked message's checkbox (refs stay in memory, not in the DOM). @type {Map<HTMLInputElement, string>} */
let peekedRefs = new Map();

async function peek() {
  const queue = select("peek-queue").value;
  const size = Math.min(100, Math.max(1, Number(input("peek-size").value) || 10));
  try {
    /** @type {Peeked[]} */
    const messages = (await api(queuePath(queue, "messages/peek"), { method: "POST", body: { batch_size: size } }))
      .result.messages;
    peekedRefs = new Map();
    const items = messages.map((m) => {
      const type = m.metadata?.["CF-Content-Type"] ?? "text";
      const box = /** @type {HTMLInputElement} */ (el("input"));
      box.type = "checkbox";
      box.addEventListener("change", updatePurgeButton);
      peekedRefs.set(box, m.ref);
      const head = el("header", undefined, [
        el("label", undefined, [box, el("span", "id", [m.id])]),
        `${type} · attempts ${m.attempts} · ${formatTime(m.timestamp_ms)}`,
      ]);
      return el("li", "item", [head, el("pre", "body", [bodyText(m.body, type, type === "json")])]);
    });
    byId("peeked").replaceChildren(...items);
    byId("peek-note").textContent = `${messages.length} message(s) at the head of ${queue}; peeking leases nothing.`;
    updatePurgeButton();
  } catch (err) {
    byId("peek-note").textContent = `Peek failed: ${String(err)}`;
  }
}

function updatePurgeButton() {
  button("purge").disabled = ![...peekedRefs.keys()].some((box) => box.checked);
}

async function purgeSelected() {
  const queue = select("peek-queue").value;
  const refs = [...peekedRefs].filter(([box]) => box.checked).map(([, ref]) => ({ ref }));
  if (!refs.length || !confirm(`Delete ${refs.length} message(s) from ${queue}? This cannot be undone.`)) return;
  try {
    const result = (await api(queuePath(queue, "messages/purge"), { method: "POST", body: { refs } })).result;
    const warnings = Object.keys(result?.warnings ?? {}).length;
    await peek();
    byId("peek-note").textContent =
      `Purged ${refs.length - warnings} of ${refs.length} selected${warnings ? ` (${warnings} already gone)` : ""}.`;
    await refresh();
  } catch (err) {
    byId("peek-note").textContent = `Purge failed: ${String(err)}`;
  }
}

// ---------------------------------------------------------------------------------------------
// Dead letters: listed a page at a time, replayed or deleted by id.

/** @type {Map<HTMLInputElement, string>} */
let deadLetterIds = new Map();
/** @type {string | null} */
let deadLetterCursor = null;

/** @param {boolean} next whether to append the next page rather than start over */
async function loadDeadLetters(next) {
  const queue = select("dl-queue").value;
  const query = new URLSearchParams({ limit: String(DEAD_LETTER_PAGE) });
  if (next && deadLetterCursor) query.set("cursor", deadLetterCursor);
  try {
    const envelope = await api(`${deadLetterPath(queue, "")}?${query}`);
    /** @type {DeadLetter[]} */
    const letters = envelope.result;
    if (!next) deadLetterIds = new Map();
    const items = letters.map((letter) => {
      const box = /** @type {HTMLInputElement} */ (el("input"));
      box.type = "checkbox";
      box.addEventListener("change", updateDeadLetterButtons);
      deadLetterIds.set(box, letter.id);
      const head = el("header", undefined, [
        el("label", undefined, [box, el("span", "id", [letter.id])]),
        `${letter.content_type} · ${formatBytes(letter.bytes)} · failed ${formatTime(letter.failed_at)}`,
      ]);
      return el("li", "item", [
        head,
        el("p", "error", [letter.error]),
        el("pre", "body", [bodyText(letter.body, letter.content_type, false)]),
      ]);
    });
    if (next) byId("dl-list").append(...items);
    else byId("dl-list").replaceChildren(...items);
    deadLetterCursor = envelope.result_info?.cursor ?? null;
    byId("dl-more").hidden = deadLetterCursor === null;
    byId("dl-note").textContent =
      `${deadLetterIds.size} dead letter(s) of ${queue} shown${deadLetterCursor ? "; more on the next page" : ""}.`;
    updateDeadLetterButtons();
  } catch (err) {
    byId("dl-note").textContent = `Loading dead letters failed: ${String(err)}`;
  }
}

function updateDeadLetterButtons() {
  const none = ![...deadLetterIds.keys()].some((box) => box.checked);
  button("dl-replay").disabled = none;
  button("dl-delete").disabled = none;
}

/** @param {"replay" | "delete"} action */
async function actOnDeadLetters(action) {
  const queue = select("dl-queue").value;
  const ids = [...deadLetterIds].filter(([box]) => box.checked).map(([, id]) => id);
  if (!ids.length) return;
  if (action === "delete" && !confirm(`Delete ${ids.length} dead letter(s) of ${queue}? This cannot be undone.`))
    return;
  try {
    const { count } = (await api(deadLetterPath(queue, `/${action}`), { method: "POST", body: { ids } })).result;
    await loadDeadLetters(false);
    byId("dl-note").textContent =
      `${action === "replay" ? "Replayed" : "Deleted"} ${count} dead letter(s) of ${queue}.`;
    await refresh();
  } catch (err) {
    byId("dl-note").textContent = `${action} failed: ${String(err)}`;
  }
}

// ---------------------------------------------------------------------------------------------
// Refusals: the recent refused ingest requests, per source and reason.

async function refreshRefusals() {
  const source = select("refusal-source").value;
  const query = new URLSearchParams({ limit: String(REFUSALS_SHOWN) });
  if (source) query.set("source", source);
  /** @type {Refusal[]} */
  const refusals = (await api(`/admin/refusals?${query}`)).result;
  /** @type {Map<string, { source: string, reason: string, count: number, last: number }>} */
  const summary = new Map();
  for (const r of refusals) {
    const key = JSON.stringify([r.source, r.reason]);
    const entry = summary.get(key) ?? { source: r.source, reason: r.reason, count: 0, last: 0 };
    entry.count += 1;
    entry.last = Math.max(entry.last, r.at);
    summary.set(key, entry);
  }
  byId("refusal-summary").replaceChildren(
    ...[...summary.values()]
      .sort((a, b) => b.last - a.last)
      .map((s) =>
        row([s.source, s.reason, String(s.count), formatTime(s.last)], [undefined, "mono", "num", undefined]),
      ),
  );
  byId("refusal-rows").replaceChildren(
    ...refusals
      .slice(0, 50)
      .map((r) =>
        row(
          [formatTime(r.at), r.source, r.queue, r.reason, String(r.status), r.request_id],
          [undefined, undefined, "muted", "mono", "num", "mono"],
        ),
      ),
  );
  const choice = select("refusal-source");
  const known = new Set([...choice.options].map((o) => o.value));
  for (const name of [...new Set(refusals.map((r) => r.source))].sort()) {
    if (!known.has(name)) choice.append(new Option(name, name));
  }
}

// ---------------------------------------------------------------------------------------------

function main() {
  /** @type {HTMLFormElement} */ (byId("sign-in-form")).addEventListener(
    "submit",
    (event) => void signIn(/** @type {SubmitEvent} */ (event)),
  );
  button("sign-out").addEventListener("click", () => signOut());
  button("peek").addEventListener("click", () => void peek());
  button("purge").addEventListener("click", () => void purgeSelected());
  button("dl-load").addEventListener("click", () => void loadDeadLetters(false));
  button("dl-more").addEventListener("click", () => void loadDeadLetters(true));
  button("dl-replay").addEventListener("click", () => void actOnDeadLetters("replay"));
  button("dl-delete").addEventListener("click", () => void actOnDeadLetters("delete"));
  select("refusal-source").addEventListener("change", () => void refresh());
  if (sessionStorage.getItem(KEY_STORAGE)) void start();
}

main();

// A module (loaded with type="module"): its names stay out of the page's global scope.
export {};
