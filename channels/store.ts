import { randomBytes } from 'node:crypto';
import { asc, eq } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { channels, type ChannelRow } from '../db/schema.js';
import { duplicateName, isUniqueViolation, notFound, refuseWhileInUse, validationError, type LiveCampaignsCheck } from '../lib/errors.js';
import { isUuid } from '../lib/ids.js';
import { channelInputSchema, channelPatchSchema, duplicateParamNameIssues, type ChannelAuth, type ChannelAuthInput, type ChannelInput } from './schema.js';

/** A fresh Standard Webhooks signing secret: 32 random bytes. */
export function generateSigningSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/**
 * Completes the auth an operator submitted: generates a missing secret, and on
 * an edit keeps the stored secret or password when the form sent it back empty.
 */
export function completeAuth(input: ChannelAuthInput, previous?: ChannelAuth): ChannelAuth {
  if (input.type === 'secret') {
    if (input.secret) return { type: 'secret', secret: input.secret };
    return { type: 'secret', secret: previous?.type === 'secret' ? previous.secret : generateSigningSecret() };
  }
  return input;
}

function credentialsChanged(before: ChannelAuth, after: ChannelAuth): boolean {
  return JSON.stringify(before) !== JSON.stringify(after);
}

/** Parses a full definition (create or test send); throws a 400 naming every bad field. */
export function parseChannelInput(body: unknown, previousAuth?: ChannelAuth): ChannelInput & { auth: ChannelAuth } {
  const parsed = channelInputSchema.safeParse(body);
  const duplicates = duplicateParamNameIssues(body);
  if (!parsed.success || duplicates.length > 0) throw validationError(parsed.error, undefined, duplicates);
  return { ...parsed.data, auth: completeAuth(parsed.data.auth, previousAuth) };
}

/**
 * Persistence of webhook channels. Every write validates first, so a bad
 * request writes nothing.
 */
export function createChannelStore(db: Database, usage: LiveCampaignsCheck) {
  async function get(id: string): Promise<ChannelRow> {
    if (!isUuid(id)) throw notFound('channel');
    const [row] = await db.select().from(channels).where(eq(channels.id, id));
    if (!row) throw notFound('channel');
    return row;
  }

  async function create(body: unknown): Promise<ChannelRow> {
    const input = parseChannelInput(body);
    try {
      const [row] = await db.insert(channels).values(input).returning();
      return row!;
    } catch (error) {
      if (isUniqueViolation(error)) throw duplicateName('channel', input.name);
      throw error;
    }
  }

  async function list(): Promise<ChannelRow[]> {
    return db.select().from(channels).orderBy(asc(channels.createdAt), asc(channels.id));
  }

  /** Applies a partial edit; answers whether credentials changed so the caller can show them once. */
  async function update(id: string, body: unknown): Promise<{ row: ChannelRow; credentialsChanged: boolean }> {
    const current = await get(id);
    const withAuth =
      body && typeof body === 'object' && 'auth' in body
        ? { ...body, auth: mergeAuthInput((body as { auth: unknown }).auth, current.auth) }
        : body;
    const patch = channelPatchSchema.safeParse(withAuth);
    if (!patch.success) {
      const lists = { userAttributeParams: current.userAttributeParams, templateParams: current.templateParams };
      const mergedLists = withAuth && typeof withAuth === 'object' ? { ...lists, ...withAuth } : lists;
      throw validationError(patch.error, undefined, duplicateParamNameIssues(mergedLists));
    }
    const merged = parseChannelInput({
      name: current.name,
      url: current.url,
      method: current.method,
      headers: current.headers,
      auth: current.auth,
      userAttributeParams: current.userAttributeParams,
      templateParams: current.templateParams,
      timeoutMs: current.timeoutMs,
      format: current.format,
      batchSize: current.batchSize,
      retry: current.retry,
      rateLimit: current.rateLimit,
      ...patch.data,
    }, current.auth);
    const { auth } = merged;
    try {
      const [row] = await db
        .update(channels)
        // An edit is the operator's answer to a 410 flag, so it clears it.
        .set({ ...merged, flaggedAt: null, flagReason: null, updatedAt: new Date() })
        .where(eq(channels.id, id))
        .returning();
      if (!row) throw notFound('channel');
      return { row, credentialsChanged: credentialsChanged(current.auth, auth) };
    } catch (error) {
      if (isUniqueViolation(error)) throw duplicateName('channel', merged.name);
      throw error;
    }
  }

  async function remove(id: string): Promise<void> {
    const row = await get(id);
    await refuseWhileInUse('channel', usage, row.id);
    await db.delete(channels).where(eq(channels.id, id));
  }

  return { get, create, list, update, remove };
}

/** A basic-auth edit that leaves the password out keeps the stored one. */
function mergeAuthInput(input: unknown, current: ChannelAuth): unknown {
  if (
    input &&
    typeof input === 'object' &&
    (input as { type?: unknown }).type === 'basic' &&
    current.type === 'basic' &&
    !(input as { password?: unknown }).password
  ) {
    return { ...input, password: current.password };
  }
  return input;
}

export type ChannelStore = ReturnType<typeof createChannelStore>;
