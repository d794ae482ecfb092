import { z } from '@hono/zod-openapi';
import { ASSIGNABLE_ROLES } from './roles.ts';

export const SlugSchema = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.string().regex(/^[a-z0-9-]{3,40}$/, { error: 'Slug must be 3–40 characters of a–z, 0–9 and -' }))
  .openapi({ example: 'acme' });

export const NameSchema = z.string().trim().min(1, { error: 'Name is required' }).max(100, { error: 'Name must be at most 100 characters' });

/** Path slugs are not validated beyond length: an unknown or malformed slug is simply not found. */
export const SlugParams = z.object({ slug: z.string().min(1).max(100) });
export const IdParam = z.string().min(1).max(64);

export const PageQuery = z.object({
  cursor: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});
export type Page = z.infer<typeof PageQuery>;

export const RoleSchema = z.enum(['owner', 'admin', 'member']);
export const AssignableRoleSchema = z.enum(ASSIGNABLE_ROLES);

export const WorkspaceSchema = z
  .object({ id: z.string(), slug: z.string(), name: z.string(), role: RoleSchema, createdAt: z.string(), updatedAt: z.string() })
  .openapi('Workspace');

export const MemberSchema = z
  .object({ userId: z.string(), handle: z.string(), displayName: z.string().nullable(), role: RoleSchema, joinedAt: z.string() })
  .openapi('WorkspaceMember');

export const InvitationSchema = z
  .object({ id: z.string(), email: z.string(), role: AssignableRoleSchema, invitedBy: z.string().nullable(), createdAt: z.string(), expiresAt: z.string() })
  .openapi('WorkspaceInvitation');

export const CreateWorkspaceBody = z.object({ name: NameSchema, slug: SlugSchema });
export const UpdateWorkspaceBody = z
  .object({ name: NameSchema.optional(), slug: SlugSchema.optional() })
  .strict()
  .refine((b) => b.name !== undefined || b.slug !== undefined, { error: 'Give a name or a slug' });

export type Workspace = z.infer<typeof WorkspaceSchema>;
export type Member = z.infer<typeof MemberSchema>;
export type Invitation = z.infer<typeof InvitationSchema>;
