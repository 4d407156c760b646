// `npm run lint` runs this: the folders of src/ depend on each other one way. The HTTP edge
// (src/routes/, wired by src/app.ts and src/index.ts) sits on top and nothing below imports it;
// the bottom layers import nothing above them. Reports every import that breaks a rule, exits 1.
//   lib/     shared helpers (result, encoding, ids, migrations): imports only lib/
//   verify/  signature crypto: imports only lib/
//   http/    the error envelope, logging, validation, AppEnv: imports only lib/ and config/ (types)
//   routes/  the edge: imported only by app.ts
// Type-only imports count too: a layer's types belong to it.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative, sep } from "node:path";

const SRC = join(import.meta.dirname, "..", "src");
/** Folder → the folders it may import (besides itself); `*` means anything below the edge. */
const ALLOWED = {
  lib: [],
  verify: ["lib"],
  http: ["lib", "config"],
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

const layerOf = (path) => {
  const rel = relative(SRC, path);
  return rel.includes(sep) ? rel.split(sep)[0] : rel; // a root file is its own "layer" (app.ts, index.ts)
};

const problems = [];
for (const file of files(SRC)) {
  const from = layerOf(file);
  for (const match of readFileSync(file, "utf8").matchAll(/\bfrom\s+["'](\.{1,2}\/[^"']+)["']/g)) {
    const target = normalize(join(dirname(file), match[1]));
    if (!target.startsWith(SRC)) continue; // package.json and the like
    const to = layerOf(target);
    if (to === from) continue;
    const where = `${relative(SRC, file)} imports ${match[1]}`;
    if (to === EDGE && !EDGE_IMPORTERS.has(from))
      problems.push(`${where}: only app.ts may import the HTTP edge (routes/)`);
    if (Object.hasOwn(ALLOWED, from) && !ALLOWED[from].includes(to))
      problems.push(`${where}: ${from}/ may import only ${ALLOWED[from].join(", ") || "itself"}`);
    if (!to.includes("/") && to.endsWith(".ts") && from !== "index.ts")
      problems.push(`${where}: nothing imports the wiring (${to})`);
  }
}
if (problems.length) {
  console.error(`layers: ${problems.length} import(s) point the wrong way\n${problems.join("\n")}`);
  process.exit(1);
}
console.log("layers: ok");
