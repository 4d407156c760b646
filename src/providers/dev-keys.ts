/**
 * DEVELOPMENT-ONLY signing credentials: what a sender holds for the development sources, for the
 * tests and the CLI (`tributary send`). The Worker never imports this file: verification uses
 * only the public keys and secrets of its configuration.
 *
 * The private keys are published test vectors, so anyone can sign local test requests and no
 * deployment may trust them. .dev.vars.example configures their public halves.
 */
import { secretList } from "../lib/vars";
import { providerByKind, secretFieldsOf } from "./index";
import type { Credentials } from "./provider";

/** RFC 8032 §7.1 TEST 1: the Ed25519 seed of DISCORD_PUBLIC_KEY and STANDARD_WEBHOOK_PUBLIC_KEY. */
export const DEV_ED25519_SEED = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
/** RFC 6979 A.2.5: the P-256 private scalar of SENDGRID_PUBLIC_KEY. */
export const DEV_P256_SCALAR = "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721";

/** The development public keys, as .dev.vars.example writes them, and their private halves. */
const PRIVATE_HALVES: Readonly<Record<string, string>> = {
  d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a: DEV_ED25519_SEED,
  "whpk_11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=": DEV_ED25519_SEED,
  "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEYP7UuiVanTHJYet0xjVtaMBJuJI7Yfps5mliLmDyn7Z5A/4QCLi8maQa6elWKLxk8vGyDC1+n1F3o8KU1EYimQ==":
    DEV_P256_SCALAR,
};

/**
 * What a sender holds for a source's `auth` (secrets by name, as in src/config/sources.ts), given
 * the variables that hold them: each named secret's newest value; for a public key, its private
 * half when it is a development key (left out otherwise: nobody has it).
 */
export function developmentCredentials(
  auth: { kind: string } & Record<string, unknown>,
  vars: Readonly<Record<string, unknown>>,
): Credentials {
  const publicKeys = new Set(providerByKind(auth.kind)?.publicKeys ?? []);
  const credentials: Record<string, string> = {};
  for (const field of Object.keys(secretFieldsOf(auth.kind))) {
    const name = auth[field];
    if (typeof name !== "string") continue;
    // The newest of a rotation list: the one a provider signs with.
    const value = secretList(vars[name], name).at(-1);
    if (value === undefined) continue;
    const held = publicKeys.has(field) ? PRIVATE_HALVES[value] : value;
    if (held !== undefined) credentials[field] = held;
  }
  return credentials;
}
