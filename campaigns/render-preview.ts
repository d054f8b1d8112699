import { eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { findUser } from '../audience/users.js';
import { sampleInputs } from '../channels/test-send.js';
import type { Database } from '../db/client.js';
import { channels, segments } from '../db/schema.js';
import { composeRequest } from '../delivery/compose.js';
import { fieldError, fieldErrors, validationError } from '../lib/errors.js';
import { memberPredicate } from '../segments/compile.js';
import { redactRequest, type WebhookRequest } from '../webhook/request.js';
import { compileTemplateValues, TemplateError } from '../webhook/render.js';
import type { RecipientProfile } from '../webhook/user.js';
import { resolveTemplateValues } from './definition.js';

/** What the create form sends before anything is saved. */
export const renderPreviewSchema = z.strictObject({
  channelId: z.uuid('must be a channel id'),
  segmentId: z.uuid('must be a segment id').optional().meta({ description: 'a sample member of this segment is rendered for (the first by id that has the addressed identity)' }),
  identity: z.enum(['login', 'visitor']).default('login'),
  templateValues: z.record(z.string(), z.unknown()).default({}),
  user: z.string().min(1).max(256).optional().meta({ description: 'login id, visitor id or user id to render for instead of a segment member' }),
});

export const renderPreviewAnswerSchema = z
  .object({
    user: z.object({ id: z.string(), loginId: z.string().nullable(), visitorId: z.string().nullable() }).meta({ description: 'who it was rendered for' }),
    source: z.enum(['user', 'segment', 'sample']).meta({ description: '`user`: the one named; `segment`: a member of the segment; `sample`: an invented user (no segment given, or it has no member with the identity)' }),
    values: z.record(z.string(), z.unknown()).meta({ description: 'the template values rendered for this user' }),
    request: z.object({ method: z.string(), url: z.string(), headers: z.record(z.string(), z.string()), body: z.string() }).meta({ description: 'the request a delivery would send, signature and credentials masked' }),
  })
  .meta({ id: 'RenderPreview', description: 'The request a campaign would send to one user, rendered with the same code as a delivery; nothing is sent.' });

/** The first member (by id) of a segment with the addressed identity, or undefined. */
async function sampleMember(db: Database, segmentId: string, identity: 'login' | 'visitor'): Promise<RecipientProfile | undefined> {
  const [segment] = await db.select().from(segments).where(eq(segments.id, segmentId));
  if (!segment) throw fieldError('segmentId', 'no segment has this id');
  const address = identity === 'login' ? sql`u.login_id` : sql`u.visitor_id`;
  const [row] = await db.execute<{ id: string; login_id: string | null; visitor_id: string | null; attributes: Record<string, unknown> }>(sql`
    SELECT u.id, u.login_id, u.visitor_id, u.attributes FROM users u
    WHERE ${memberPredicate(segment.rule, { at: new Date(), timeZone: segment.timeZone })} AND ${address} IS NOT NULL
    ORDER BY u.id LIMIT 1`);
  return row ? { id: row.id, loginId: row.login_id, visitorId: row.visitor_id, attributes: row.attributes } : undefined;
}

/**
 * Renders a channel's request for one user with the given template values,
 * exactly as a delivery composes it (compileTemplateValues, composeRequest),
 * and answers it with credentials masked. Nothing is sent and nothing is
 * written: the create form calls it before the campaign exists. Bounded like a
 * delivery's render (its step and character budgets, MAX_RENDERED_CHARS per value).
 *
 * @example
 * await renderPreview(db, { channelId, segmentId, templateValues: { message: '亲爱的{{ user.name }}' } });
 * // { user: { loginId: 'u-1', … }, source: 'segment', values: { message: '亲爱的小雪' }, request: { body: '{"message":"亲爱的小雪"}', … } }
 */
export async function renderPreview(db: Database, body: unknown): Promise<z.infer<typeof renderPreviewAnswerSchema>> {
  const parsed = renderPreviewSchema.safeParse(body);
  if (!parsed.success) throw validationError(parsed.error);
  const input = parsed.data;
  const [channel] = await db.select().from(channels).where(eq(channels.id, input.channelId));
  if (!channel) throw fieldError('channelId', 'no channel has this id');
  const { values, problems } = resolveTemplateValues(channel.templateParams, input.templateValues);
  if (problems.length > 0) throw fieldErrors(problems);

  let user: RecipientProfile | undefined;
  let source: 'user' | 'segment' | 'sample' = 'sample';
  if (input.user !== undefined) {
    user = await findUser(db, input.user);
    if (!user) throw fieldError('user', 'no user has this id');
    source = 'user';
  } else if (input.segmentId !== undefined) {
    user = await sampleMember(db, input.segmentId, input.identity);
    if (user) source = 'segment';
  }
  user ??= sampleInputs(channel, {}).user;

  let rendered: Record<string, unknown>;
  try {
    rendered = await compileTemplateValues(channel.templateParams, values)(user);
  } catch (error) {
    if (error instanceof TemplateError) throw fieldError(`templateValues.${error.param}`, error.message);
    throw error;
  }
  const request: WebhookRequest = composeRequest({
    channel,
    recipients: [{ profile: user, values: rendered }],
    templateValues: values,
    webhookId: 'msg_preview',
    timestamp: new Date(),
  });
  return {
    user: { id: user.id, loginId: user.loginId, visitorId: user.visitorId },
    source,
    values: rendered,
    request: redactRequest(request),
  };
}
