#!/usr/bin/env node
// `npx tributary …`: the command-line companion (src/cli/). It is TypeScript sharing the Worker's
// provider descriptors, so it is bundled with esbuild at run time and kept in
// node_modules/.cache/tributary/ until one of its source files (or esbuild) changes.
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** Exit code of a crash of the CLI itself (sysexits' EX_SOFTWARE), apart from 0–3. */
const INTERNAL_ERROR = 70;

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const cache = join(root, "node_modules", ".cache", "tributary");
const bundlePath = join(cache, "cli.mjs");
const stampsPath = join(cache, "cli.inputs.json");

const esbuildVersion = () =>
  JSON.parse(readFileSync(join(root, "node_modules", "esbuild", "package.json"), "utf8")).version;

/** Size and mtime of each input: a changed source rebuilds. */
function stamps(inputs) {
  return Object.fromEntries(
    inputs.map((input) => {
      const stat = statSync(join(root, input), { throwIfNoEntry: false });
      return [input, stat ? `${stat.size}:${stat.mtimeMs}` : null];
    }),
  );
}

function cached() {
  try {
    const saved = JSON.parse(readFileSync(stampsPath, "utf8"));
    if (saved.esbuild !== esbuildVersion()) return false;
    const now = stamps(Object.keys(saved.inputs));
    return Object.entries(saved.inputs).every(([input, stamp]) => now[input] === stamp);
  } catch {
    return false;
  }
}

async function build() {
  const esbuild = await import("esbuild").catch(() => {
    console.error("tributary: needs esbuild, a devDependency of this project: run `npm install`");
    process.exit(2);
  });
  const result = await esbuild.build({
    entryPoints: [join(root, "src/cli/main.ts")],
    absWorkingDir: root,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node22",
    // Dependencies (zod) load from node_modules, which the cache directory sits in.
    packages: "external",
    write: false,
    metafile: true,
    logLevel: "error",
  });
  mkdirSync(cache, { recursive: true });
  // Written aside and renamed: two CLIs starting at once never import a half-written bundle.
  const suffix = `.${process.pid}.tmp`;
  writeFileSync(bundlePath + suffix, result.outputFiles[0].text);
  renameSync(bundlePath + suffix, bundlePath);
  writeFileSync(
    stampsPath + suffix,
    JSON.stringify({ esbuild: esbuild.version, inputs: stamps(Object.keys(result.metafile.inputs)) }),
  );
  renameSync(stampsPath + suffix, stampsPath);
}

try {
  if (!cached()) await build();
  const { main } = await import(pathToFileURL(bundlePath).href);
  process.exitCode = await main(process.argv.slice(2), root);
} catch (err) {
  console.error("tributary: internal error (a bug in the CLI; please report it):", err);
  process.exitCode = INTERNAL_ERROR;
}
