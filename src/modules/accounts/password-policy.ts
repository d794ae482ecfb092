import { createRequire } from 'node:module';
import { AppError } from '../../errors/index.ts';

// zxcvbn-ts ships ~49,000 common passwords (an offline list; nothing is fetched at run time).
const common = createRequire(import.meta.url)('@zxcvbn-ts/language-common') as { dictionary: { 'passwords-common': string[] } };
const COMMON = new Set(common.dictionary['passwords-common'].map((p) => p.toLowerCase()));

export const COMMON_PASSWORD_COUNT = COMMON.size;

/** Length is checked by the schema; this refuses what attackers try first. */
export function assertPasswordAcceptable(password: string, field = 'password'): void {
  if (COMMON.has(password.toLowerCase())) {
    throw new AppError('general:validation_error', { details: [{ field, issue: 'This password is too common; choose another' }] });
  }
}
