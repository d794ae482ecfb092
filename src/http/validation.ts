import type { Hook } from '@hono/zod-openapi';
import type { z } from 'zod';
import { AppError, type FieldIssue } from '../errors/index.ts';
import type { AppEnv } from './env.ts';

/** Zod issues → `details`, one entry per failing field. */
export function fieldIssues(error: z.ZodError): FieldIssue[] {
  return error.issues.map((issue) => ({
    field: issue.path.length > 0 ? issue.path.map(String).join('.') : '(body)',
    issue: issue.message,
  }));
}

/** A schema failure as the contract shows it: general:validation_error with all failing fields. */
export function validationError(error: z.ZodError): AppError {
  return new AppError('general:validation_error', { details: fieldIssues(error) });
}

/** Every route's schema failure becomes general:validation_error with all failing fields. */
export const validationHook: Hook<unknown, AppEnv, string, unknown> = (result) => {
  if (!result.success) throw validationError(result.error as z.ZodError);
  return undefined;
};
