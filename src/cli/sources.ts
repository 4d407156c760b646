/**
 * The sources `tributary send` can sign for: the Worker's own list (src/config/sources.ts), each
 * with its provider's descriptor, its `auth` resolved and checked as the gateway resolves it, and
 * what a sender holds for it. Secrets are read as `npm run dev` reads them: .dev.vars, else the
 * committed .dev.vars.example (TRIBUTARY_DEV_VARS names another file).
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseEnv } from "node:util";
import { SOURCES } from "../config/sources";
import { secretList } from "../lib/vars";
import { providerByKind, secretFieldsOf } from "../providers";
import { developmentCredentials } from "../providers/dev-keys";
import type { SourceAuthLike } from "../providers/example-request";
import type { Credentials, Provider } from "../providers/provider";
import { usageError } from "./http";

export interface DevVars {
  path: string;
  vars: Record<string, string>;
}

export function readDevVars(root: string, env: Readonly<Record<string, string | undefined>>): DevVars {
  const path = env.TRIBUTARY_DEV_VARS
    ? resolve(env.TRIBUTARY_DEV_VARS)
    : [".dev.vars", ".dev.vars.example"].map((file) => join(root, file)).find(existsSync);
  if (!path || !existsSync(path))
    throw usageError(`no development secrets: ${path ?? join(root, ".dev.vars.example")} is missing`);
  return { path, vars: parseEnv(readFileSync(path, "utf8")) as Record<string, string> };
}

export interface Sendable {
  name: string;
  provider: Provider;
  auth: SourceAuthLike;
  credentials: Credentials;
  /** The variable holding each credential (`secret` → GITHUB_WEBHOOK_SECRET), to say what to check. */
  secretNames: Readonly<Record<string, string>>;
  queue: string;
}

const sourceAuth = (name: string) => SOURCES[name]?.auth as ({ kind: string } & Record<string, unknown>) | undefined;

/** The sources whose provider has a sample and a signer, by name. */
export function sendableNames(): string[] {
  return Object.keys(SOURCES).filter((name) => {
    const provider = providerByKind(sourceAuth(name)?.kind ?? "");
    return Boolean(provider?.sample && provider.sign);
  });
}

/** A source ready to sign for, with `secret` (--secret) in place of its development `secret`. */
export function sendable(name: string, devVars: DevVars, secret: string | undefined): Sendable {
  const auth = Object.hasOwn(SOURCES, name) ? sourceAuth(name) : undefined;
  if (!auth) throw usageError(`unknown source "${name}"`, `sources with an example: ${sendableNames().join(", ")}`);
  const provider = providerByKind(auth.kind);
  if (!provider?.sample || !provider.sign) {
    throw usageError(
      `source "${name}" (auth kind ${auth.kind}) has no example to send`,
      "send signs as webhook providers do; see README for apps and forms",
    );
  }
  const secretNames: Record<string, string> = {};
  const resolved: Record<string, unknown> = { ...auth };
  for (const [field, into] of Object.entries(secretFieldsOf(auth.kind))) {
    const variable = auth[field];
    if (typeof variable !== "string") continue;
    secretNames[field] = variable;
    resolved[into] = secretList(devVars.vars[variable], variable);
  }
  const parsed = provider.auth.safeParse(resolved);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw usageError(
      `source "${name}": ${issue?.path.join(".")}: ${issue?.message}`,
      `check ${Object.values(secretNames).join(", ")} in ${devVars.path}`,
    );
  }
  return {
    name,
    provider,
    auth: parsed.data as SourceAuthLike,
    credentials: { ...developmentCredentials(auth, devVars.vars), ...(secret !== undefined && { secret }) },
    secretNames,
    queue: SOURCES[name]?.queue ?? "",
  };
}
