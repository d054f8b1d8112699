import { asc, eq } from 'drizzle-orm';
import { z } from 'zod';
import { loadAttributeTypes } from '../audience/attributes.js';
import { parseIsoInstant } from '../contracts/dates.js';
import type { Database } from '../db/client.js';
import { segments, type SegmentRow } from '../db/schema.js';
import { duplicateName, isUniqueViolation, notFound, refuseWhileInUse, validationError, type LiveCampaignsCheck } from '../lib/errors.js';
import type { FieldIssue } from '../contracts/errors.js';
import { isUuid } from '../lib/ids.js';
import { attributeConditions, attributeTypeIssues } from './attribute-check.js';
import { previewSegment, type SegmentPreview } from './preview.js';
import { segmentRuleSchema, type SegmentRule } from '../contracts/segment-rule.js';
import { DEFAULT_TIME_ZONE, timeZoneSchema } from '../contracts/time-zone.js';
import { postgresKnowsTimeZone } from './time-zone.js';

const name = z.string().trim().min(1, 'is required').max(200, 'must be at most 200 characters');
const instant = z
  .string({ error: 'must be an ISO 8601 date-time string' })
  .transform(function toInstant(value, ctx) {
    const date = parseIsoInstant(value);
    if (date) return date;
    ctx.addIssue({ code: 'custom', message: 'must be an ISO 8601 date-time with Z or an offset' });
    return z.NEVER;
  });

export const segmentInputSchema = z.strictObject({
  name,
  rule: segmentRuleSchema,
  timeZone: timeZoneSchema.default(DEFAULT_TIME_ZONE),
});
export const segmentPatchSchema = z.strictObject({ name, rule: segmentRuleSchema, timeZone: timeZoneSchema }).partial();
export type SegmentInput = z.infer<typeof segmentInputSchema>;
export type SegmentPatch = z.infer<typeof segmentPatchSchema>;
export const previewInputSchema = z.strictObject({
  rule: segmentRuleSchema,
  timeZone: timeZoneSchema.default(DEFAULT_TIME_ZONE),
  at: instant.optional(),
});

/**
 * Checks what only the database knows: that PostgreSQL has the time zone, and
 * that the rule's operators fit the recorded attribute types.
 */
async function databaseIssues(db: Database, input: { rule?: SegmentRule; timeZone?: string }): Promise<FieldIssue[]> {
  const issues: FieldIssue[] = [];
  if (input.timeZone !== undefined && !(await postgresKnowsTimeZone(db, input.timeZone))) {
    issues.push({ path: 'timeZone', message: 'is not a time zone PostgreSQL knows' });
  }
  if (input.rule !== undefined) {
    const keys = attributeConditions(input.rule, 'rule').map((entry) => entry.condition.attribute);
    issues.push(...attributeTypeIssues(input.rule, await loadAttributeTypes(db, keys)));
  }
  return issues;
}

/**
 * The segment as the API shows it.
 *
 * @example
 * presentSegment(row); // { id, name, rule, timeZone, createdAt, updatedAt }
 */
export function presentSegment(row: SegmentRow) {
  return {
    id: row.id,
    name: row.name,
    rule: row.rule,
    timeZone: row.timeZone,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/**
 * Persistence and preview of segments. Every write validates first (schema,
 * then time zone and attribute types against the database), so a bad request
 * writes nothing.
 *
 * @example
 * const store = createSegmentStore(db, async () => []);
 * const row = await store.create({ name: 'gold', rule: { all: [{ attribute: 'vip_level', op: 'equals', value: 'gold' }] } });
 */
export function createSegmentStore(db: Database, usage: LiveCampaignsCheck) {
  async function get(id: string): Promise<SegmentRow> {
    if (!isUuid(id)) throw notFound('segment');
    const [row] = await db.select().from(segments).where(eq(segments.id, id));
    if (!row) throw notFound('segment');
    return row;
  }

  async function list(): Promise<SegmentRow[]> {
    return db.select().from(segments).orderBy(asc(segments.createdAt), asc(segments.id));
  }

  /** A definition segmentInputSchema has validated; the database checks what only it knows. */
  async function create(input: SegmentInput): Promise<SegmentRow> {
    const issues = await databaseIssues(db, input);
    if (issues.length > 0) throw validationError(undefined, undefined, issues);
    try {
      const [row] = await db.insert(segments).values(input).returning();
      return row!;
    } catch (error) {
      if (isUniqueViolation(error)) throw duplicateName('segment', input.name);
      throw error;
    }
  }

  /** An edit segmentPatchSchema has validated. */
  async function update(id: string, patch: SegmentPatch): Promise<SegmentRow> {
    await get(id);
    const issues = await databaseIssues(db, patch);
    if (issues.length > 0) throw validationError(undefined, undefined, issues);
    try {
      const [row] = await db
        .update(segments)
        .set({ ...patch, updatedAt: new Date() })
        .where(eq(segments.id, id))
        .returning();
      if (!row) throw notFound('segment');
      return row;
    } catch (error) {
      if (isUniqueViolation(error)) throw duplicateName('segment', patch.name ?? '');
      throw error;
    }
  }

  async function remove(id: string): Promise<void> {
    const row = await get(id);
    await refuseWhileInUse('segment', usage, row.id);
    await db.delete(segments).where(eq(segments.id, id));
  }

  /** Preview of a stored segment, at `at` (default now). */
  async function preview(id: string, at = new Date()): Promise<SegmentPreview> {
    const row = await get(id);
    return previewSegment(db, row.rule, { at, timeZone: row.timeZone });
  }

  /** Preview of an unsaved rule (previewInputSchema validated it). */
  async function previewUnsaved(input: z.infer<typeof previewInputSchema>): Promise<SegmentPreview> {
    const issues = await databaseIssues(db, input);
    if (issues.length > 0) throw validationError(undefined, undefined, issues);
    return previewSegment(db, input.rule, { at: input.at ?? new Date(), timeZone: input.timeZone });
  }

  return { get, list, create, update, remove, preview, previewUnsaved };
}

export type SegmentStore = ReturnType<typeof createSegmentStore>;

/**
 * Reads the optional `?at=` of a preview.
 *
 * @example
 * parsePreviewInstant('2026-03-01T12:00:00+08:00'); // Date
 */
export function parsePreviewInstant(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const parsed = instant.safeParse(value);
  if (!parsed.success) throw validationError(parsed.error, 'at');
  return parsed.data;
}
