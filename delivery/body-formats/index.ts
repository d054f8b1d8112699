import type { BodyFormat } from '../../contracts/body-formats.js';
import { growingIoFormat } from './growingio.js';
import { standardFormat } from './standard.js';
import type { BodyFormatModule } from './types.js';

export type { BodyFormatModule, ComposeChannel } from './types.js';

/** Every body format, registered once: the type makes a format in contracts/body-formats.ts without a module a compile error. */
const registry: Record<BodyFormat, BodyFormatModule> = {
  standard: standardFormat,
  growingio: growingIoFormat,
};

/** The module of a channel's body format. */
export function bodyFormat(format: BodyFormat): BodyFormatModule {
  return registry[format];
}
