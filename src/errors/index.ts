export { AppError, isAppError, type FieldIssue } from './app-error.ts';
export { ERROR_CODES, errorDef, isErrorCode, type ErrorCode } from './codes.ts';
export type { ErrorDef, ErrorType } from './types.ts';
