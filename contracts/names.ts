import { z } from 'zod';
import { identifier } from './channel.js';

/**
 * Attribute keys are plain identifiers: the same rule channels apply to the
 * attributes they read, so every key a profile holds can be sent.
 */
export const attributeKeySchema = identifier;

/**
 * Event names as SDKs send them (`add_to_cart`, `$page`, `order.paid`). Kept to
 * a safe alphabet so a name is recognisable in logs and in segment rules.
 */
export const eventNameSchema = z
  .string()
  .regex(
    /^[A-Za-z_$][A-Za-z0-9_$.:-]{0,127}$/,
    'must be an event name: letters, digits, _ $ . : -, not starting with a digit or punctuation, at most 128 characters',
  );

/** A login id or visitor id: any non-empty text up to 256 characters, compared exactly. */
export const userKeySchema = z.string().min(1, 'must not be empty').max(256, 'must be at most 256 characters');

/**
 * Refinement options for "loginId or visitorId is required" that run even when
 * other fields already failed, so one 400 names every problem.
 *
 * @example
 * schema.refine(hasUserKey, userKeyRequired);
 */
export const userKeyRequired = {
  path: ['loginId'],
  message: 'loginId or visitorId is required',
  when: (payload: { value: unknown }) => typeof payload.value === 'object' && payload.value !== null && !Array.isArray(payload.value),
};

/**
 * True when a (possibly otherwise invalid) object names a login id or a visitor id.
 *
 * @example
 * hasUserKey({ visitorId: 'v-1' }); // true
 */
export function hasUserKey(value: { loginId?: unknown; visitorId?: unknown }): boolean {
  return value.loginId !== undefined || value.visitorId !== undefined;
}
