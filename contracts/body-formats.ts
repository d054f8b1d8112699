/**
 * The body formats a channel can send in, one module each under
 * delivery/body-formats/ (registered in its index.ts). The channel schema, the
 * database column and the frozen definition all take this list.
 */
export const bodyFormats = ['standard', 'growingio'] as const;
export type BodyFormat = (typeof bodyFormats)[number];
