/**
 * Providers whose scheme is one value of the declarative HMAC scheme (src/verify/scheme.ts):
 * a preset is its scheme plus how the provider names events and deliveries. The auth options
 * are the secret (a list, for rotation) and, where the provider signs a timestamp, a tolerance.
 * Its `sign` is the scheme's own (`signScheme`): nothing per preset to keep in step.
 */
import * as z from "zod";
import { success } from "../lib/result";
import {
  SignatureScheme as SchemeSchema,
  type SignatureScheme,
  type SignatureSchemeInput,
  signScheme,
  verifyScheme,
} from "../verify/scheme";
import {
  credential,
  DEV_PUBLIC_BASE_URL,
  type DeliveryBasis,
  defineProvider,
  type HandshakeAnswer,
  type HandshakeSample,
  type Identity,
  type Provider,
  type Sample,
  SecretName,
  SecretValues,
  Tolerance,
} from "./provider";

const encoder = new TextEncoder();

export interface HmacPreset<K extends string> {
  kind: K;
  title: string;
  docs: string;
  scheme: SignatureSchemeInput;
  identify(headers: Headers, data: unknown): Identity;
  delivery: DeliveryBasis;
  headers: readonly string[];
  /** More headers that must never be forwarded (beyond the signature header). */
  secretHeaders?: readonly string[];
  description: string;
  /** Signed handshakes; `secrets` is the source's list (the last one is the newest). */
  handshake?(secrets: readonly string[], data: unknown, headers: Headers): Promise<HandshakeAnswer | undefined>;
  /** The scheme signs the URL: the source must configure the public URL the provider posts to. */
  signsUrl?: boolean;
  /** The development source: the secret's name, and the bodies it accepts. */
  example: { secret: string; accept: readonly ("json" | "text" | "form")[] };
  sample: Sample;
  handshakeSample?: HandshakeSample;
}

export type PresetAuth<K extends string> = {
  kind: K;
  secret: string;
  secrets: string[];
  tolerance_seconds?: number | undefined;
  public_base_url?: string | undefined;
};

/** The public base URL a URL-signing provider posts to: the request's Host is the client's to choose. */
export const PublicBaseUrl = z.url({
  protocol: /^https?$/,
  error: (issue) =>
    issue.input === undefined ? "required: the public http(s) URL the provider posts to" : "an http(s) URL",
});

export function hmacPreset<K extends string>(preset: HmacPreset<K>): Provider<PresetAuth<K>> {
  const scheme: SignatureScheme = SchemeSchema.parse(preset.scheme);
  const signsTime = Boolean(scheme.timestamp_header || scheme.timestamp_entry);
  const withTolerance = new WeakMap<PresetAuth<K>, SignatureScheme>();
  const schemeFor = (auth: PresetAuth<K>) => {
    if (auth.tolerance_seconds === undefined) return scheme;
    let tuned = withTolerance.get(auth);
    if (!tuned) {
      tuned = { ...scheme, tolerance_seconds: auth.tolerance_seconds };
      withTolerance.set(auth, tuned);
    }
    return tuned;
  };
  const auth = z.object({
    kind: z.literal(preset.kind),
    secret: SecretName,
    secrets: SecretValues,
    ...(signsTime && { tolerance_seconds: Tolerance.optional() }),
    ...(preset.signsUrl && { public_base_url: PublicBaseUrl }),
  }) as unknown as z.ZodType<PresetAuth<K>>;
  return defineProvider<PresetAuth<K>>({
    kind: preset.kind,
    title: preset.title,
    docs: preset.docs,
    auth,
    readsBody: true,
    async verify(auth, input) {
      const result = await verifyScheme(schemeFor(auth), auth.secrets, input);
      return result.ok ? success({}) : result;
    },
    ...(preset.handshake && {
      handshake: (auth: PresetAuth<K>, data: unknown, headers: Headers) =>
        preset.handshake!(auth.secrets, data, headers),
    }),
    async sign(_auth, credentials, request) {
      const input = { ...request, body: encoder.encode(request.body), headers: new Headers(request.headers) };
      return { headers: await signScheme(scheme, credential(credentials, "secret"), input) };
    },
    sample: preset.sample,
    ...(preset.handshakeSample && { handshakeSample: preset.handshakeSample }),
    identify: preset.identify,
    delivery: preset.delivery,
    headers: preset.headers,
    secretHeaders: [scheme.header, ...(preset.secretHeaders ?? [])],
    example: {
      auth: {
        kind: preset.kind,
        secret: preset.example.secret,
        ...(preset.signsUrl && { public_base_url: DEV_PUBLIC_BASE_URL }),
      },
      accept: preset.example.accept,
    },
    openapi: {
      description: `${preset.title} (${preset.docs}): ${preset.description}`,
      security: () => ({ type: "apiKey", header: scheme.header }),
    },
  });
}
