import { z } from '@hono/zod-openapi';
import { IdParam, NameSchema } from '../workspaces/schemas.ts';

export const ProjectSchema = z
  .object({ id: z.string(), workspaceId: z.string(), name: z.string(), createdAt: z.string(), updatedAt: z.string() })
  .openapi('Project');

export const ProjectParams = z.object({ id: IdParam });
export const ProjectBody = z.object({ name: NameSchema });

export type Project = z.infer<typeof ProjectSchema>;
