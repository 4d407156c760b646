/**
 * GitLab, in either or both of its modes:
 *  - secret token: `X-Gitlab-Token` carries the configured token verbatim (nothing is signed);
 *    compared in constant time, by SHA-256 digest so its length does not leak either;
 *  - signing token (GitLab 19.0+): Standard Webhooks, `webhook-signature: v1,<base64>` over
 *    `{webhook-id}.{webhook-timestamp}.{body}`, keyed with the `whsec_` token's 32 bytes, within
 *    300 s either way: Standard Webhooks' own verifier (./standard).
 * https://docs.gitlab.com/user/project/integrations/webhooks/#signing-tokens
 * Every configured credential is required: the token first (cheap), then the signature, so a
 * leaked secret token alone cannot forge deliveries to a source that has a signing token.
 * Event and ids: `object_kind` (or `event_name`, for system hooks) from the body, signed with a
 * signing token, else the unsigned `X-Gitlab-Event`; the delivery id is `webhook-id` (signed) or
 * the unsigned `X-Gitlab-Event-UUID`. With a secret token alone nothing is signed, so repeats are
 * recognised by the body in both modes.
 */
import * as z from "zod";
import { matchesAnySecret } from "../auth/keys";
import { success, unauthorized } from "../lib/result";
import { schemeKeys } from "../verify/scheme";
import { defineProvider, field, SecretName, SecretValues, Tolerance } from "./provider";
import { randomHex, uuid } from "./sample";
import { signStandard, standard } from "./standard";

const signWithToken = signStandard("webhook");

const TOKEN_HEADER = "x-gitlab-token";
const SIGNATURE_HEADER = "webhook-signature";
/** GitLab refuses signing tokens that are not `whsec_` + base64 of 32 bytes. */
const SIGNING_KEY = { secret_encoding: "base64", secret_prefix: "whsec_" } as const;
const SIGNING_KEY_BYTES = 32;

export const GitlabAuth = z
  .object({
    kind: z.literal("gitlab"),
    /** The secret token (`X-Gitlab-Token`). */
    secret: SecretName.optional(),
    secrets: SecretValues.optional(),
    /** The signing token (`whsec_…`, GitLab 19.0+). */
    signing_token: SecretName.optional(),
    signing_tokens: SecretValues.optional(),
    tolerance_seconds: Tolerance.optional(),
  })
  .superRefine((auth, ctx) => {
    if (!auth.secrets && !auth.signing_tokens) {
      ctx.addIssue({
        code: "custom",
        path: ["secret"],
        message: "configure the secret token (`secret`), the signing token (`signing_token`), or both",
      });
    }
    for (const [i, key] of schemeKeys(SIGNING_KEY, auth.signing_tokens ?? []).entries()) {
      if (!(key instanceof Uint8Array) || key.byteLength !== SIGNING_KEY_BYTES) {
        ctx.addIssue({
          code: "custom",
          path: ["signing_tokens", i],
          message: `${auth.signing_token} is not a GitLab signing token (whsec_ + base64 of 32 bytes)`,
        });
      }
    }
  });
export type GitlabAuth = z.infer<typeof GitlabAuth>;

export const gitlab = defineProvider<GitlabAuth>({
  kind: "gitlab",
  title: "GitLab",
  docs: "https://docs.gitlab.com/user/project/integrations/webhooks/#signing-tokens",
  auth: GitlabAuth,
  secretFields: { secret: "secrets", signing_token: "signing_tokens" },
  readsBody: true,
  async verify(auth, input, context) {
    if (!auth.secrets && !auth.signing_tokens) return unauthorized("no_secret_configured");
    if (auth.secrets) {
      const presented = input.headers.get(TOKEN_HEADER);
      if (!presented) return unauthorized("missing_credentials");
      if (!(await matchesAnySecret(presented, auth.secrets))) return unauthorized("unknown_credentials");
    }
    if (auth.signing_tokens) {
      const signing = {
        kind: "standard" as const,
        secret: auth.signing_token,
        secrets: auth.signing_tokens,
        tolerance_seconds: auth.tolerance_seconds,
      };
      const signed = await standard.verify(signing, input, context);
      if (!signed.ok) return signed;
    }
    return success({});
  },
  identify: (headers, data) => ({
    event: field(data, "object_kind") ?? field(data, "event_name") ?? headers.get("x-gitlab-event"),
    delivery_id: headers.get("webhook-id") ?? headers.get("x-gitlab-event-uuid"),
  }),
  delivery: "signed_body",
  headers: [
    "x-gitlab-event",
    "x-gitlab-event-uuid",
    "x-gitlab-webhook-uuid",
    "x-gitlab-instance",
    "webhook-id",
    "webhook-timestamp",
    "idempotency-key",
    "user-agent",
  ],
  secretHeaders: [TOKEN_HEADER, SIGNATURE_HEADER],
  example: {
    auth: { kind: "gitlab", secret: "GITLAB_WEBHOOK_TOKEN", signing_token: "GITLAB_SIGNING_TOKEN" },
    accept: ["json"],
  },
  // Whatever credentials the sender has, as GitLab sends them: the token as is, the signing token as a signature.
  async sign(auth, credentials, request) {
    const { secret, signing_token } = credentials;
    if (!secret && !signing_token)
      throw new TypeError("no credential for `secret` (the secret token) or `signing_token`");
    const signed = signing_token ? await signWithToken(auth, { secret: signing_token }, request) : { headers: {} };
    return { headers: { ...(secret && { [TOKEN_HEADER]: secret }), ...signed.headers } };
  },
  sample: {
    event: "push",
    body: (event) =>
      JSON.stringify({
        object_kind: event,
        event_name: event,
        before: "95790bf891e76fee5e1747ab589903a6a1f80f22",
        after: randomHex(20),
        ref: "refs/heads/main",
        user_name: "John Smith",
        project: { id: 15, name: "Diaspora", path_with_namespace: "mike/diaspora", default_branch: "main" },
        commits: [],
        total_commits_count: 0,
      }),
    // GitLab names the header after the hook: `merge_request` → `Merge Request Hook`.
    headers: (event) => ({
      "x-gitlab-event": `${(event ?? "push").replace(/(^|_)(.)/g, (_, sep: string, c: string) => (sep ? " " : "") + c.toUpperCase())} Hook`,
      "x-gitlab-event-uuid": uuid(),
      "x-gitlab-webhook-uuid": uuid(),
      "x-gitlab-instance": "https://gitlab.example.com",
    }),
  },
  openapi: {
    description:
      "GitLab (https://docs.gitlab.com/user/project/integrations/webhooks/#signing-tokens): the secret token as `X-Gitlab-Token`, compared in constant time, and/or (GitLab 19.0+ signing token) Standard Webhooks `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256 of {id}.{ts}.{body}>` within 300 s either way; every configured credential is required. Event from `object_kind` (else `X-Gitlab-Event`); repeats are recognised by the body.",
    security: (auth) => ({ type: "apiKey", header: auth.signing_token ? SIGNATURE_HEADER : TOKEN_HEADER }),
  },
});
