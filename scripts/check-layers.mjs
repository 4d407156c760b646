// `npm run lint` runs this: the folders of src/ depend on each other one way, types included.
// Reports every import that breaks a rule, exits 1. From the top:
//   routes/   the HTTP edge (and cli/, its own entry point): routes are imported only by app.ts
//   ingest/, buffer/, segment/, openapi/, console/, refusals/: the features that serve requests
//   config/   the gateway's configuration, composed from the schemas of the folders below, and
//             AppEnv (config/env.ts)
//   providers/, rules/, auth/, queues/: what a source, a key and a queue are; they read their
//             own settings types, never the configuration's
//   http/     the error envelope, logging, validation: imports only lib/
//   verify/   signature crypto: imports only lib/
//   lib/      shared helpers (result, encoding, ids, migrations): imports only lib/
// Enforced as: the bottom layers' lists below, the edge's one importer, and no cycle between
// folders, counting `import type` too (a type that points up is a dependency that points up).
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative, sep } from "node:path";

const SRC = join(import.meta.dirname, "..", "src");
/** Folder → the folders it may import (besides itself); `*` means anything below the edge. */
const ALLOWED = {
  lib: [],
  verify: ["lib"],
  http: ["lib"],
};
const EDGE = "routes";
const EDGE_IMPORTERS = new Set(["app.ts"]);

function* files(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else if (/\.(ts|js)$/.test(name)) yield path;
  }
}

/** A file's folder under src/ (a folder imported as a whole resolves to itself); a root file is its own. */
const layerOf = (path) => {
  const rel = relative(SRC, path);
  return rel.includes(sep) ? rel.split(sep)[0] : rel.replace(/\.(ts|js)$/, "") === rel ? rel : rel;
};
const isFolder = (path) => {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
};
/** folder → folders it imports (types included), with one example import each. */
const edges = new Map();

const problems = [];
for (const file of files(SRC)) {
  const from = layerOf(file);
  for (const match of readFileSync(file, "utf8").matchAll(
    /^(import|export)(\s+type)?\b[^;]*?\bfrom\s+["'](\.{1,2}\/[^"']+)["']/gm,
  )) {
    const target = normalize(join(dirname(file), match[3]));
    if (!target.startsWith(SRC)) continue; // package.json and the like
    const to = isFolder(target) ? relative(SRC, target).split(sep)[0] : layerOf(target);
    if (to !== from && from.indexOf(".") < 0 && to.indexOf(".") < 0) {
      if (!edges.has(from)) edges.set(from, new Map());
      edges.get(from).set(to, `${relative(SRC, file)} imports ${match[3]}`);
    }
    if (to === from) continue;
    const where = `${relative(SRC, file)} imports ${match[3]}`;
    if (to === EDGE && !EDGE_IMPORTERS.has(from))
      problems.push(`${where}: only app.ts may import the HTTP edge (routes/)`);
    if (Object.hasOwn(ALLOWED, from) && !ALLOWED[from].includes(to))
      problems.push(`${where}: ${from}/ may import only ${ALLOWED[from].join(", ") || "itself"}`);
    if (!to.includes("/") && to.endsWith(".ts") && from !== "index.ts")
      problems.push(`${where}: nothing imports the wiring (${to})`);
  }
}
// Folder cycles: a depth-first search reports each cycle once, by its examples.
const seen = new Set();
const onPath = [];
function visit(folder) {
  if (onPath.includes(folder)) {
    const cycle = [...onPath.slice(onPath.indexOf(folder)), folder];
    const key = [...cycle].slice(0, -1).sort().join(",");
    if (!seen.has(key)) {
      seen.add(key);
      const steps = cycle.slice(0, -1).map((f, i) => edges.get(f).get(cycle[i + 1]));
      problems.push(`cycle ${cycle.join(" → ")}: ${steps.join("; ")}`);
    }
    return;
  }
  if (seen.has(`done:${folder}`)) return;
  onPath.push(folder);
  for (const next of edges.get(folder)?.keys() ?? []) visit(next);
  onPath.pop();
  seen.add(`done:${folder}`);
}
for (const folder of edges.keys()) visit(folder);

if (problems.length) {
  console.error(`layers: ${problems.length} import(s) point the wrong way\n${problems.join("\n")}`);
  process.exit(1);
}
console.log("layers: ok");
