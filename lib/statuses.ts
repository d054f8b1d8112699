/** Moved to contracts/statuses.ts (a leaf every layer may import); kept so existing imports still work. */
export * from '../contracts/statuses.js';
