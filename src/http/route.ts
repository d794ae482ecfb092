import type { z } from '@hono/zod-openapi';
import { errorResponses, jsonResponse } from './openapi.ts';

/** A required JSON request body, for createRoute's `request.body`. */
export function jsonBody<T extends z.ZodType>(schema: T, required = true) {
  return { content: { 'application/json': { schema } }, required };
}

/** 200 with `data` in the success envelope, plus the error envelope for each status given. */
export function okResponses<T extends z.ZodType>(data: T, ...errors: number[]) {
  return { 200: jsonResponse(data, 'Success'), ...errorResponses(...errors, 429, 500) };
}

/** 201 Created with `data` in the success envelope. */
export function createdResponses<T extends z.ZodType>(data: T, ...errors: number[]) {
  return { 201: jsonResponse(data, 'Created'), ...errorResponses(...errors, 429, 500) };
}

/** 202 Accepted with `data` in the success envelope. */
export function acceptedResponses<T extends z.ZodType>(data: T, ...errors: number[]) {
  return { 202: jsonResponse(data, 'Accepted'), ...errorResponses(...errors, 429, 500) };
}

export const bearerAuth = [{ bearerAuth: [] }];
export const apiKeyAuth = [{ apiKey: [] }];
