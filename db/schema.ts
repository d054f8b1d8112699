/** Every table hookcast owns; drizzle-kit reads this file to generate migrations. */
export * from './schema/channels.js';
export * from './schema/campaigns.js';
export * from './schema/audience.js';
export * from './schema/api-keys.js';
export * from './schema/triggers.js';
export * from './schema/audit.js';
export * from './schema/privacy.js';
export * from './schema/catalog.js';
