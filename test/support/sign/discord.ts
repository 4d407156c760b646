/**
 * Signs requests as Discord does (https://discord.com/developers/docs/interactions/overview#setting-up-an-endpoint):
 * Ed25519 over `{X-Signature-Timestamp}{body}`, hex in `X-Signature-Ed25519`. node:crypto only,
 * independent of the gateway's WebCrypto code. The key is RFC 8032's first test vector (its seed
 * is published), the one .dev.vars.example configures; Standard Webhooks' v1a tests use it too.
 */
import { Buffer } from "node:buffer";
import { createPrivateKey, type KeyObject, sign } from "node:crypto";

/** RFC 8032 §7.1 TEST 1: the private seed, its public key, and the signature of the empty message. */
export const RFC8032_TEST1 = {
  seed: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
  publicKey: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
  emptyMessageSignature:
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
} as const;

/** PKCS #8 DER of an Ed25519 private key, before its 32-byte seed (RFC 8410). */
const PKCS8_ED25519_PREFIX = "302e020100300506032b657004220420";

export function ed25519Key(seedHex: string): KeyObject {
  return createPrivateKey({ key: Buffer.from(PKCS8_ED25519_PREFIX + seedHex, "hex"), format: "der", type: "pkcs8" });
}

export const RFC8032_KEY = ed25519Key(RFC8032_TEST1.seed);

export const ed25519Sign = (key: KeyObject, message: string): Buffer => sign(null, Buffer.from(message, "utf8"), key);

export interface DiscordSigning {
  /** Unix seconds sent in X-Signature-Timestamp. */
  at?: number;
  key?: KeyObject;
}

/** The headers of a Discord request carrying `body`. */
export function discordHeaders(
  body: string,
  { at = Math.floor(Date.now() / 1000), key = RFC8032_KEY }: DiscordSigning = {},
): Record<string, string> {
  const timestamp = String(at);
  return {
    "content-type": "application/json",
    "x-signature-ed25519": ed25519Sign(key, timestamp + body).toString("hex"),
    "x-signature-timestamp": timestamp,
  };
}
