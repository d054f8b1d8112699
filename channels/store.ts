import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { asc, eq } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { channels, type ChannelRow } from '../db/schema.js';
import { duplicateName, fieldError, isUniqueViolation, notFound, refuseWhileInUse, validationError, type LiveCampaignsCheck } from '../lib/errors.js';
import { isUuid } from '../lib/ids.js';
import { literalAddressProblem, type OutboundPolicy } from '../webhook/outbound.js';
import { processOutboundPolicy } from '../webhook/send.js';
import { channelCreateSchema, duplicateParamNameIssues, type ChannelAuth, type ChannelAuthInput, type ChannelEdit, type ChannelInput, type RotationInput } from '../contracts/channel.js';

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

/** Compared field by field: stored jsonb comes back with its keys in PostgreSQL's order, not ours. */
export function sameCredentials(a: ChannelAuth, b: ChannelAuth): boolean {
  if (a.type === 'secret' && b.type === 'secret') return a.secret === b.secret;
  if (a.type === 'basic' && b.type === 'basic') return a.username === b.username && a.password === b.password;
  return a.type === 'none' && b.type === 'none';
}

/** Scheme, host and port: where stored credentials are sent. */
function originOf(url: string): string {
  return new URL(url).origin;
}

/** A definition as stored: parsed, with the secret generated (or kept from `previousAuth`). */
function completeInput(input: ChannelInput, previousAuth?: ChannelAuth): ChannelInput & { auth: ChannelAuth } {
  return { ...input, auth: completeAuth(input.auth, previousAuth) };
}

/** Parses a full definition (a merged edit); throws a 400 naming every bad field. */
function parseChannelInput(body: unknown, previousAuth?: ChannelAuth): ChannelInput & { auth: ChannelAuth } {
  const parsed = channelCreateSchema.safeParse(body);
  if (!parsed.success) throw validationError(parsed.error);
  return completeInput(parsed.data, previousAuth);
}

/** A full definition the route has validated (channelTestSchema), with its secret generated. */
export const unsavedChannel = (input: ChannelInput) => completeInput(input);

/**
 * Persistence of webhook channels. Every write validates first, so a bad
 * request writes nothing.
 */
export function createChannelStore(db: Database, usage: LiveCampaignsCheck, outbound: OutboundPolicy = processOutboundPolicy()) {
  /** A URL whose host is a forbidden IP literal is refused now; host names are judged after DNS at every send. */
  function refuseForbiddenAddress(url: string) {
    const problem = literalAddressProblem(url, outbound);
    if (problem) throw fieldError('url', problem);
  }

  async function get(id: string): Promise<ChannelRow> {
    if (!isUuid(id)) throw notFound('channel');
    const [row] = await db.select().from(channels).where(eq(channels.id, id));
    if (!row) throw notFound('channel');
    return row;
  }

  /** A definition channelCreateSchema has validated. */
  async function create(definition: ChannelInput): Promise<ChannelRow> {
    const input = completeInput(definition);
    refuseForbiddenAddress(input.url);
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

  /**
   * The channel as a partial edit would leave it, validated exactly as a save
   * is (an origin change needs the credentials again), without writing it.
   */
  async function mergeEdit(current: ChannelRow, edit: ChannelEdit): Promise<ChannelInput & { auth: ChannelAuth }> {
    // Stored credentials follow the channel only to the endpoint they were given for:
    // whoever moves the channel elsewhere must know (or replace) them.
    const moved = edit.url !== undefined && originOf(edit.url) !== originOf(current.url) && current.auth.type !== 'none';
    if (moved) {
      const given = edit.auth;
      const reentered = given && (given.type === 'none' || given.type === 'secret' || (given.type === 'basic' && given.password));
      if (!reentered) {
        throw fieldError('auth', "the URL's scheme, host or port changed: give the credentials again (auth with its password, or a secret; {\"type\":\"secret\"} generates a new one)");
      }
    }
    const carried = moved ? undefined : current.auth;
    const patch = edit.auth !== undefined && carried ? { ...edit, auth: keepStoredPassword(edit.auth, carried) } : edit;
    const merged = parseChannelInput({
      name: current.name,
      url: current.url,
      method: current.method,
      headers: current.headers,
      // The rotation's old secret is no input field (the strict schema would refuse it); it is carried on below.
      auth: current.auth.type === 'secret' ? { type: 'secret', secret: current.auth.secret } : current.auth,
      userAttributeParams: current.userAttributeParams,
      templateParams: current.templateParams,
      timeoutMs: current.timeoutMs,
      format: current.format,
      batchSize: current.batchSize,
      retry: current.retry,
      rateLimit: current.rateLimit,
      userCap: current.userCap,
      ...patch,
    }, carried);
    // A rotation in progress carries on unless the secret itself was replaced.
    if (merged.auth.type === 'secret' && current.auth.type === 'secret' && current.auth.previous && merged.auth.secret === current.auth.secret) {
      merged.auth = { ...merged.auth, previous: current.auth.previous };
    }
    refuseForbiddenAddress(merged.url);
    return merged;
  }

  /**
   * The 400 of an edit its schema refused: beside the schema's issues, the
   * parameter names the edit's lists would share with the saved ones, so one
   * answer names every bad field. A missing channel is a 404 first, as for a valid edit.
   */
  async function refuseEdit(id: string, body: unknown, error: z.ZodError): Promise<never> {
    const current = await get(id);
    const lists = { userAttributeParams: current.userAttributeParams, templateParams: current.templateParams };
    const merged = body && typeof body === 'object' ? { ...lists, ...body } : lists;
    const named = new Set(error.issues.map((issue) => issue.path.join('.')));
    throw validationError(error, undefined, duplicateParamNameIssues(merged).filter((issue) => !named.has(issue.path)));
  }

  /** The saved channel with an unsaved edit applied (for a test send of the form); nothing is written. */
  async function preview(id: string, edit: ChannelEdit): Promise<ChannelInput & { auth: ChannelAuth }> {
    return mergeEdit(await get(id), edit);
  }

  /** Applies a partial edit; answers whether credentials changed so the caller can show them once. */
  async function update(id: string, edit: ChannelEdit): Promise<{ row: ChannelRow; credentialsChanged: boolean }> {
    const current = await get(id);
    const merged = await mergeEdit(current, edit);
    const auth = merged.auth;
    try {
      const [row] = await db
        .update(channels)
        // An edit is the operator's answer to a 410 flag, so it clears it.
        .set({ ...merged, flaggedAt: null, flagReason: null, updatedAt: new Date() })
        .where(eq(channels.id, id))
        .returning();
      if (!row) throw notFound('channel');
      return { row, credentialsChanged: !sameCredentials(current.auth, auth) };
    } catch (error) {
      if (isUniqueViolation(error)) throw duplicateName('channel', merged.name);
      throw error;
    }
  }

  /**
   * Replaces a channel's signing secret by a fresh one; the old one keeps
   * signing beside it for the grace period, so receivers can switch without
   * rejecting requests.
   */
  async function rotateSecret(id: string, options: RotationInput): Promise<ChannelRow> {
    if (!isUuid(id)) throw notFound('channel');
    return db.transaction(async (tx) => {
      const [current] = await tx.select().from(channels).where(eq(channels.id, id)).for('update');
      if (!current) throw notFound('channel');
      if (current.auth.type !== 'secret') throw fieldError('auth.type', 'only a channel with secret auth has a signing secret to rotate');
      const until = new Date(Date.now() + options.graceHours * 3_600_000).toISOString();
      const auth: ChannelAuth = {
        type: 'secret',
        secret: generateSigningSecret(),
        ...(options.graceHours > 0 ? { previous: { secret: current.auth.secret, until } } : {}),
      };
      const [row] = await tx.update(channels).set({ auth, updatedAt: new Date() }).where(eq(channels.id, id)).returning();
      return row!;
    });
  }

  async function remove(id: string): Promise<void> {
    const row = await get(id);
    await refuseWhileInUse('channel', usage, row.id);
    await db.delete(channels).where(eq(channels.id, id));
  }

  return { get, create, list, update, preview, refuseEdit, remove, rotateSecret };
}

/** A basic-auth edit that leaves the password out keeps the stored one. */
function keepStoredPassword(input: NonNullable<ChannelEdit['auth']>, current: ChannelAuth): NonNullable<ChannelEdit['auth']> {
  if (input.type === 'basic' && current.type === 'basic' && !input.password) return { ...input, password: current.password };
  return input;
}

export type ChannelStore = ReturnType<typeof createChannelStore>;
