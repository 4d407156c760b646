/**
 * Stands in for `zod/v4/core` in the Worker bundle (wrangler.toml, [alias]). Its only importer is
 * hono-openapi's schema converter (@standard-community/standard-json), which loads it with a
 * dynamic import() for `toJSONSchema` alone; a dynamic import keeps the whole module (every
 * schema, check and locale) in the bundle. The same function, from zod's main entry, lets the
 * bundler keep only what the OpenAPI document needs. test/node/bundle.test.mjs serves /openapi.json
 * from wrangler's bundle, so a converter that starts to need more fails there, not in production.
 */
export { toJSONSchema } from "zod";
