import { ID_ATTRIBUTE, type UserAttributeParam } from '../contracts/channel.js';

/** The slice of a user profile a delivery needs. */
export interface RecipientProfile {
  id: string;
  loginId: string | null;
  visitorId: string | null;
  attributes: Record<string, unknown>;
}

/**
 * Fills a channel's user-attribute parameters from one profile: `$id` reads the
 * identity the parameter applies to, other names read profile attributes, and a
 * missing value falls back to the parameter's default (else null).
 *
 * @example
 * userAttributeValues([{ name: 'userid', attribute: '$id', identity: 'login' }], user);
 * // { userid: 'u-42' }
 */
export function userAttributeValues(params: readonly UserAttributeParam[], user: RecipientProfile): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const param of params) {
    const raw =
      param.attribute === ID_ATTRIBUTE
        ? param.identity === 'login'
          ? user.loginId
          : user.visitorId
        : Object.hasOwn(user.attributes, param.attribute)
          ? user.attributes[param.attribute]
          : undefined;
    values[param.name] = raw ?? param.default ?? null;
  }
  return values;
}
