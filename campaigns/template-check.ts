import { sql } from 'drizzle-orm';
import type { TemplateParam } from '../contracts/channel.js';
import type { Database } from '../db/client.js';
import type { FieldIssue } from '../contracts/errors.js';
import { segmentMembersQuery, type Segment } from '../segments/membership.js';
import { compileTemplateValues, TemplateError } from '../webhook/render.js';
import type { RecipientProfile } from '../webhook/user.js';

/** Members a launch renders the templates for, besides a user with no attributes at all. */
export const LAUNCH_SAMPLE_SIZE = 20;

/**
 * Renders a campaign's templates, before launch, for a sample of the segment's
 * members and for a user with an empty profile, so a template that cannot
 * render is a 409 at launch rather than thousands of failed users later.
 * Each problem names the template value (`templateValues.message`).
 *
 * @example
 * await templateRenderProblems(db, channel.templateParams, values, segment); // [] when every sample renders
 */
export async function templateRenderProblems(
  db: Database,
  params: readonly TemplateParam[],
  values: Record<string, unknown>,
  segment: Segment,
  now: Date,
): Promise<FieldIssue[]> {
  const render = compileTemplateValues(params, values);
  const members = segmentMembersQuery(segment.rule, { timeZone: segment.timeZone, at: now });
  const rows = await db.execute<{ id: string; login_id: string | null; visitor_id: string | null; attributes: Record<string, unknown> }>(sql`
    SELECT u.id, u.login_id, u.visitor_id, u.attributes
    FROM (${members}) m JOIN users u ON u.id = m.user_id
    ORDER BY u.id LIMIT ${LAUNCH_SAMPLE_SIZE}`);
  const samples: RecipientProfile[] = [
    { id: 'empty-profile', loginId: null, visitorId: null, attributes: {} },
    ...rows.map((r) => ({ id: r.id, loginId: r.login_id, visitorId: r.visitor_id, attributes: r.attributes ?? {} })),
  ];
  const problems = new Map<string, string>();
  for (const user of samples) {
    try {
      await render(user);
    } catch (error) {
      if (!(error instanceof TemplateError)) throw error;
      const path = `templateValues.${error.param}`;
      if (problems.has(path)) continue;
      problems.set(path, `${error.message} (for ${user.id === 'empty-profile' ? 'a user with no attributes' : 'a member of the segment'})`);
    }
  }
  return [...problems].map(([path, message]) => ({ path, message }));
}
