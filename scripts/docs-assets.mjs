// Copies the one file /docs serves, Scalar's standalone bundle from the installed (lockfile-pinned)
// @scalar/api-reference, into .assets/ (the Worker's static assets; git-ignored). Only that file:
// the package's dist/browser holds 235 files (~45 MB with source maps) that a deploy would upload.
// Runs after `npm install`/`npm ci` (postinstall) and before dev, tests and deploys.
import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";

// The package exports no package.json: its folder is where npm put it, next to this project.
const packageDir = join(import.meta.dirname, "..", "node_modules", "@scalar", "api-reference");
mkdirSync(".assets", { recursive: true });
copyFileSync(join(packageDir, "dist/browser/standalone.js"), join(".assets", "standalone.js"));
