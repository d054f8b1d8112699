/** Every table hookcast owns; drizzle-kit reads this file to generate migrations. */
export * from './schema/channels.js';
