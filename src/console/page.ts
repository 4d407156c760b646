/**
 * The console's one HTML page: structure only. It carries no data and no inline script or style
 * (the CSP forbids both); /console/app.js signs in and fills it from the admin JSON routes.
 */
import { html } from "hono/html";

export const consolePage = () => html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="referrer" content="no-referrer" />
    <title>Tributary console</title>
    <link rel="stylesheet" href="/console/console.css" />
    <script type="module" src="/console/app.js"></script>
  </head>
  <body>
    <header class="bar">
      <h1>Tributary <span class="muted">console</span></h1>
      <p id="status" class="status" role="status" aria-live="polite"></p>
      <button id="sign-out" type="button" hidden>Sign out</button>
    </header>
    <main>
      <section id="sign-in" class="card narrow">
        <h2>Sign in</h2>
        <p class="muted">With a gateway key that has the <code>admin</code> scope. It is kept in this tab only (sessionStorage).</p>
        <form id="sign-in-form" action="/console" method="post" autocomplete="off">
          <label for="key">Admin key</label>
          <input id="key" name="key" type="password" required spellcheck="false" />
          <button type="submit">Sign in</button>
          <p id="sign-in-error" class="error" role="alert"></p>
        </form>
      </section>
      <div id="app" hidden>
        <section id="queues" class="card">
          <h2>Queues <span id="refreshed" class="muted small"></span></h2>
          <table>
            <thead>
              <tr>
                <th>queue</th><th>upstream</th><th class="num">backlog</th><th class="num">bytes</th><th class="num">oldest</th>
                <th class="num">pending</th><th class="num">flushes</th><th class="num">failed</th><th>backoff</th><th class="num">dead letters</th>
              </tr>
            </thead>
            <tbody id="queue-rows"></tbody>
          </table>
          <h3>Backlog, last minutes</h3>
          <div id="chart" class="chart"></div>
          <ul id="legend" class="legend"></ul>
        </section>
        <section id="messages" class="card">
          <h2>Messages</h2>
          <div class="controls">
            <label>Queue <select id="peek-queue"></select></label>
            <label>How many <input id="peek-size" type="number" min="1" max="100" value="10" /></label>
            <button id="peek" type="button">Peek</button>
            <button id="purge" type="button" class="danger" disabled>Purge selected</button>
          </div>
          <p id="peek-note" class="muted small"></p>
          <ol id="peeked" class="items"></ol>
        </section>
        <section id="dead-letters" class="card">
          <h2>Dead letters</h2>
          <div class="controls">
            <label>Queue <select id="dl-queue"></select></label>
            <button id="dl-load" type="button">Load</button>
            <button id="dl-replay" type="button" disabled>Replay selected</button>
            <button id="dl-delete" type="button" class="danger" disabled>Delete selected</button>
          </div>
          <p id="dl-note" class="muted small"></p>
          <ol id="dl-list" class="items"></ol>
          <button id="dl-more" type="button" hidden>Next page</button>
        </section>
        <section id="refusals" class="card">
          <h2>Refusals</h2>
          <div class="controls">
            <label>Source <select id="refusal-source"><option value="">all</option></select></label>
          </div>
          <h3>By source and reason</h3>
          <table>
            <thead><tr><th>source</th><th>reason</th><th class="num">count</th><th>last</th></tr></thead>
            <tbody id="refusal-summary"></tbody>
          </table>
          <h3>Most recent</h3>
          <table>
            <thead><tr><th>time</th><th>source</th><th>queue</th><th>reason</th><th class="num">status</th><th>request id</th></tr></thead>
            <tbody id="refusal-rows"></tbody>
          </table>
        </section>
      </div>
    </main>
  </body>
</html>`;
