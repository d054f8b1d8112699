/**
 * Database errors carry the failing statement's parameters: Drizzle's
 * DrizzleQueryError message is `Failed query: … params: …`, and PostgreSQL
 * echoes values in messages (`invalid input syntax for type uuid: "…"`) and
 * details (`Key (name)=(…) already exists`). Those parameters include channel
 * credentials and user attributes, so logs and Temporal history get the
 * statement's shape instead: its first line, the SQLSTATE code, and the
 * PostgreSQL message with every quoted or trailing value cut out.
 */

/** What may be logged or recorded about any error. */
export interface SafeErrorDescription {
  type: string;
  message: string;
  /** SQLSTATE of a PostgreSQL error. */
  code?: string;
  stack?: string;
}

interface PgErrorFields {
  code: string;
  message: string;
  severity?: string;
  table_name?: string;
  column_name?: string;
  constraint_name?: string;
}

const SQL_PREVIEW_CHARS = 200;

function isPgError(error: unknown): error is Error & PgErrorFields {
  if (!(error instanceof Error)) return false;
  const fields = error as Partial<PgErrorFields>;
  // postgres.js's PostgresError: a five-character SQLSTATE and a severity.
  return error.name === 'PostgresError' || (typeof fields.code === 'string' && /^[0-9A-Z]{5}$/.test(fields.code) && typeof fields.severity === 'string');
}

function isDrizzleQueryError(error: unknown): error is Error & { query: string; params: unknown[] } {
  return error instanceof Error && (error.name === 'DrizzleQueryError' || error.constructor.name === 'DrizzleQueryError') && typeof (error as { query?: unknown }).query === 'string';
}

/** The errors of a cause chain, outermost first (bounded, in case a chain loops). */
function causeChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  let current = error;
  while (current !== undefined && current !== null && chain.length < 10 && !chain.includes(current)) {
    chain.push(current);
    current = (current as { cause?: unknown }).cause;
  }
  return chain;
}

/**
 * True when the error or one of its causes came from the database driver or Drizzle.
 *
 * @example
 * isDatabaseError(new DrizzleQueryError('select 1', [], pgError)); // true
 */
export function isDatabaseError(error: unknown): boolean {
  return causeChain(error).some((e) => isPgError(e) || isDrizzleQueryError(e));
}

/**
 * A PostgreSQL message without the values it may echo: text after the first
 * `: ` (`invalid input syntax for type uuid: "…"`) and every double-quoted
 * part (`value "…" is out of range for type integer`) are dropped. Names of
 * tables, columns and constraints come from the error's own fields instead.
 *
 * @example
 * safePgMessage('invalid input syntax for type uuid: "whsec_…"'); // 'invalid input syntax for type uuid'
 */
export function safePgMessage(message: string): string {
  const head = message.split(/: /, 1)[0]!;
  return head.replace(/"(?:[^"]|"")*"/g, '"…"').slice(0, 300);
}

function describePg(error: PgErrorFields): string {
  const where = [
    error.table_name ? `table ${error.table_name}` : undefined,
    error.column_name ? `column ${error.column_name}` : undefined,
    error.constraint_name ? `constraint ${error.constraint_name}` : undefined,
  ].filter(Boolean);
  // RAISE in a function or trigger (class P0) writes free text, which may be anything.
  const message = error.code.startsWith('P0') ? 'raised by a database function or trigger' : safePgMessage(error.message);
  return `${error.code} ${message}${where.length > 0 ? ` (${where.join(', ')})` : ''}`;
}

/** The first line of a statement, shortened: enough to find the query in the code, no parameters. */
function statementShape(query: string): string {
  const line = query.trim().split('\n', 1)[0]!.trim();
  return line.length > SQL_PREVIEW_CHARS ? `${line.slice(0, SQL_PREVIEW_CHARS)}…` : line;
}

/** The stack frames alone: the first lines of `stack` repeat the message, which may hold parameters. */
function framesOnly(stack: string | undefined): string | undefined {
  if (!stack) return undefined;
  const at = stack.indexOf('\n    at ');
  return at === -1 ? undefined : stack.slice(at + 1);
}

/**
 * Describes any error so that it can be logged or recorded: a database error
 * (or one caused by one) becomes the statement's first line plus the
 * PostgreSQL code and a value-free message; other errors keep their own
 * message and stack.
 *
 * @example
 * safeErrorDescription(drizzleError).message;
 * // 'database error: 22P02 invalid input syntax for type uuid, in query: select "id" from "channels" where "id" = $1'
 */
export function safeErrorDescription(error: unknown): SafeErrorDescription {
  const chain = causeChain(error);
  const drizzle = chain.find(isDrizzleQueryError);
  const pg = chain.find(isPgError);
  if (!drizzle && !pg) {
    if (error instanceof Error) return { type: error.name, message: error.message, stack: error.stack };
    return { type: typeof error, message: String(error) };
  }
  // Without a PostgreSQL error the cause is the driver's (ECONNREFUSED, a timeout): its code says enough.
  const driverCode = !pg && drizzle ? (drizzle.cause as { code?: unknown } | undefined)?.code : undefined;
  const parts = [
    pg ? describePg(pg) : typeof driverCode === 'string' ? driverCode : undefined,
    drizzle ? `in query: ${statementShape(drizzle.query)}` : undefined,
  ].filter(Boolean);
  const top = error instanceof Error ? error : undefined;
  return {
    type: top?.name ?? 'DatabaseError',
    message: `database error: ${parts.join(', ')}`,
    ...(pg ? { code: pg.code } : {}),
    ...(top ? { stack: framesOnly(top.stack) } : {}),
  };
}
