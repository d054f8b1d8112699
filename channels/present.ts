import type { ChannelRow } from '../db/schema.js';
import type { ChannelAuth, TemplateParam } from '../contracts/channel.js';

/** A stored default: templateParamSchema checked it against the parameter's type (a date is ISO text). */
type CheckedTemplateParam = Omit<TemplateParam, 'default'> & { default?: string | number | boolean | null };

const MASK = '********';

const maskSecret = (secret: string) => `whsec_${MASK}${secret.slice(-4)}`;

/** Masks credentials: a secret keeps its prefix and last 4 characters so operators can tell keys apart. */
export function maskAuth(auth: ChannelAuth): ChannelAuth {
  switch (auth.type) {
    case 'secret':
      return { type: 'secret', secret: maskSecret(auth.secret), ...(auth.previous ? { previous: { secret: maskSecret(auth.previous.secret), until: auth.previous.until } } : {}) };
    case 'basic':
      return { type: 'basic', username: auth.username, password: MASK };
    case 'none':
      return auth;
  }
}

/** The credentials just created or replaced, shown once; a previous secret in rotation stays masked. */
function revealNew(auth: ChannelAuth): ChannelAuth {
  if (auth.type !== 'secret' || !auth.previous) return auth;
  return { ...auth, previous: { secret: maskSecret(auth.previous.secret), until: auth.previous.until } };
}

/**
 * The channel as the API shows it. Credentials are revealed only in the answer
 * that created or replaced them; every other answer masks them.
 */
export function presentChannel(row: ChannelRow, options: { revealCredentials?: boolean } = {}) {
  return {
    id: row.id,
    name: row.name,
    url: row.url,
    method: row.method,
    headers: row.headers,
    auth: options.revealCredentials ? revealNew(row.auth) : maskAuth(row.auth),
    userAttributeParams: row.userAttributeParams,
    templateParams: row.templateParams as CheckedTemplateParam[],
    timeoutMs: row.timeoutMs,
    format: row.format,
    batchSize: row.batchSize,
    retry: row.retry,
    rateLimit: row.rateLimit,
    userCap: row.userCap,
    flagged: row.flaggedAt ? { at: row.flaggedAt.toISOString(), reason: row.flagReason } : null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
