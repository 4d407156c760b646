// `npm run dev` needs development secrets: copy the committed, development-only example when
// the developer has no .dev.vars of their own (an existing one is never overwritten).
import { copyFileSync, existsSync } from "node:fs";

if (!existsSync(".dev.vars")) {
  copyFileSync(".dev.vars.example", ".dev.vars");
  console.log("Created .dev.vars from .dev.vars.example (development-only values).");
}
