const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for a canonical UUID; lets routes answer 404 instead of passing junk to PostgreSQL. */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}
