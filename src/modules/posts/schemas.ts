import { z } from '@hono/zod-openapi';

export const PostIdParams = z.object({ id: z.string().min(1).max(64) });
export const HandleParams = z.object({ handle: z.string().min(1).max(64) });

export const PageQuery = z.object({
  cursor: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

const FileIds = z.array(z.string().min(1).max(64)).max(20, { error: 'At most 20 attachments' });

export const CreatePostBody = z.object({
  title: z.string().trim().min(1).max(200).optional(),
  body: z.string().min(1).max(20_000, { error: 'Body must be at most 20,000 characters' }),
  visibility: z.enum(['public', 'private']).default('public'),
  attachments: FileIds.default([]),
});

export const UpdatePostBody = z
  .object({
    title: z.string().trim().min(1).max(200).nullable().optional(),
    body: z.string().min(1).max(20_000, { error: 'Body must be at most 20,000 characters' }).optional(),
    visibility: z.enum(['public', 'private']).optional(),
    attachments: FileIds.optional(),
  })
  .refine((v) => Object.values(v).some((x) => x !== undefined), { error: 'Nothing to update' });

export const AttachmentSchema = z.object({ id: z.string(), name: z.string(), size: z.number(), contentType: z.string(), width: z.number().nullable(), height: z.number().nullable() });

export const PostSchema = z
  .object({
    id: z.string(),
    author: z.object({ id: z.string(), handle: z.string() }),
    title: z.string().nullable(),
    body: z.string().openapi({ description: 'Markdown, as written' }),
    html: z.string().openapi({ description: 'The body rendered from Markdown and sanitised (no raw HTML, no scripts, safe links only)' }),
    visibility: z.enum(['public', 'private']),
    attachments: z.array(AttachmentSchema),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Post');

export type Post = z.infer<typeof PostSchema>;
export type CreatePostInput = z.output<typeof CreatePostBody>;
export type UpdatePostInput = z.output<typeof UpdatePostBody>;
