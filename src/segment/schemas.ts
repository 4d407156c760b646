/**
 * Segment's tracking API as zod schemas (the schemas are the types): what each call must carry,
 * after Segment's Spec (https://segment.com/docs/connections/spec/) and HTTP API docs. Events
 * are loose objects: every field the schema does not name is the client's, and travels as sent.
 * Lenient where Segment's own clients are: analytics.js sends `userId: null` for anonymous users.
 */
import * as z from "zod";

export const CallType = z.enum(["track", "identify", "page", "screen", "group", "alias"]);
export type CallType = z.infer<typeof CallType>;
export type Endpoint = CallType | "batch";

/** The paths under /v1: Segment's names, and the one-letter ones analytics.js posts to. */
export const ENDPOINTS: Readonly<Record<string, Endpoint>> = {
  track: "track",
  identify: "identify",
  page: "page",
  screen: "screen",
  group: "group",
  alias: "alias",
  batch: "batch",
  t: "track",
  i: "identify",
  p: "page",
  s: "screen",
  g: "group",
  a: "alias",
  b: "batch",
};

/** User, anonymous and group ids: strings, or numbers as server code often passes them. */
const Id = z.union([z.string().min(1), z.number()]);
/** ISO 8601 with a zone, as every Segment client sends dates (`Date#toISOString`). */
export const Timestamp = z.iso.datetime({ offset: true });
const Fields = z.record(z.string(), z.unknown());

/** Fields every call may carry. `writeKey` and `sentAt` are transport: how analytics.js authenticates, when the client sent it. */
const common = {
  type: z.string().optional(),
  messageId: z.string().min(1).optional(),
  userId: Id.nullish(),
  anonymousId: Id.nullish(),
  timestamp: Timestamp.nullish(),
  sentAt: Timestamp.nullish(),
  writeKey: z.string().optional(),
  context: Fields.nullish(),
  integrations: Fields.nullish(),
};

const identified = (event: { userId?: unknown; anonymousId?: unknown }) =>
  (event.userId !== undefined && event.userId !== null) ||
  (event.anonymousId !== undefined && event.anonymousId !== null);
const IDENTITY = { message: "userId or anonymousId is required", path: ["userId"] };

export const TrackEvent = z
  .looseObject({ ...common, event: z.string().min(1), properties: Fields.nullish() })
  .refine(identified, IDENTITY);
export const IdentifyEvent = z.looseObject({ ...common, traits: Fields.nullish() }).refine(identified, IDENTITY);
export const PageEvent = z
  .looseObject({ ...common, name: z.string().nullish(), category: z.string().nullish(), properties: Fields.nullish() })
  .refine(identified, IDENTITY);
export const ScreenEvent = z
  .looseObject({ ...common, name: z.string().nullish(), properties: Fields.nullish() })
  .refine(identified, IDENTITY);
export const GroupEvent = z
  .looseObject({ ...common, groupId: Id, traits: Fields.nullish() })
  .refine(identified, IDENTITY);
/** Alias links an earlier identity to a user: both are required. */
export const AliasEvent = z.looseObject({ ...common, previousId: Id, userId: Id });

export const EVENT_SCHEMAS: Readonly<Record<CallType, z.ZodType>> = {
  track: TrackEvent,
  identify: IdentifyEvent,
  page: PageEvent,
  screen: ScreenEvent,
  group: GroupEvent,
  alias: AliasEvent,
};

/** A batch element names its call. */
export const BatchElement = z.looseObject({ type: CallType });

/** POST /v1/batch. `context` and `integrations` here apply to every event (Segment merges them in). */
export const BatchRequest = z.looseObject({
  batch: z.array(z.unknown()).min(1, "a batch needs at least one event"),
  sentAt: Timestamp.nullish(),
  writeKey: z.string().optional(),
  context: Fields.nullish(),
  integrations: Fields.nullish(),
});

/** Segment's answer, which its clients expect: they read the status, and stop retrying on 200. */
export const Accepted = z.object({
  success: z.literal(true),
  /** A batch's events that were refused while the others were accepted: where, and why (never their content). */
  rejected: z
    .array(z.object({ code: z.number().int(), message: z.string(), path: z.array(z.union([z.string(), z.number()])) }))
    .optional(),
});
