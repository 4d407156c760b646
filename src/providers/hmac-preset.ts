/**
 * Providers whose scheme is one value of the declarative HMAC scheme (src/verify/scheme.ts):
 * a preset is its scheme plus how the provider names events and deliveries. The auth options
 * are the secret (a list, for rotation) and, where the provider signs a timestamp, a tolerance.
 */
import { z } from "zod";
import { success } from "../lib/result";
import { SignatureScheme as SchemeSchema, type SignatureScheme, type SignatureSchemeInput, verifyScheme } from "../verify/scheme";
import { type DeliveryBasis, defineProvider, type HandshakeAnswer, type Identity, type Provider, SecretName, SecretValues, Tolerance } from "./provider";

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
  handshake?(secrets: readonly string[], data: unknown, headers: Headers): Promise<HandshakeAnswer | undefined>;
}

export type PresetAuth<K extends string> = { kind: K; secret: string; secrets: string[]; tolerance_seconds?: number | undefined };

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
    ...(preset.handshake && { handshake: (auth: PresetAuth<K>, data: unknown, headers: Headers) => preset.handshake!(auth.secrets, data, headers) }),
    identify: preset.identify,
    delivery: preset.delivery,
    headers: preset.headers,
    secretHeaders: () => [scheme.header, ...(preset.secretHeaders ?? [])],
    openapi: {
      description: `${preset.title} (${preset.docs}): ${preset.description}`,
      security: () => ({ type: "apiKey", header: scheme.header }),
    },
  });
}
