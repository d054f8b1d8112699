/**
 * A template that cannot render for a user: a parse error, a filter or tag
 * that is not allowed, a budget used up, output too large. Deterministic: the
 * same template and user fail the same way, so it is never worth a retry.
 */
export class TemplateError extends Error {
  override name = 'TemplateError';
  constructor(
    readonly param: string,
    message: string,
  ) {
    super(message);
  }
}
