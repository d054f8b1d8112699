/**
 * The body formats a channel can send in, one module each under
 * delivery/body-formats/ (registered in its index.ts). The channel schema, the
 * database column and the frozen definition all take this list.
 */
export const bodyFormats = ['standard', 'growingio'] as const;
export type BodyFormat = (typeof bodyFormats)[number];

/** Formats that carry several users per request, up to the channel's `batchSize` (the only ones it means something for). */
export const batchedBodyFormats: ReadonlySet<BodyFormat> = new Set(['growingio']);
