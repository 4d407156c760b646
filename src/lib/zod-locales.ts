/**
 * Stands in for zod's index of locales in the Worker bundle (wrangler.toml, [alias]). zod 4
 * exports every locale (~50 languages, ~390 KiB unminified) as `z.locales`, which a bundler
 * cannot drop; the gateway's messages are English, which zod registers by itself (from
 * locales/en.js directly, so this file does not change any message). `z.locales.en` stays.
 */
export { default as en } from "zod/v4/locales/en.js";
