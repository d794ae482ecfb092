import { z } from '@hono/zod-openapi';

export const EmailSchema = z
  .string()
  .trim()
  .max(320)
  .toLowerCase()
  .pipe(z.email({ error: 'Invalid email' }))
  .openapi({ example: 'ada@example.com' });

export const HandleSchema = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.string().regex(/^[a-z0-9_]{3,30}$/, { error: 'Handle must be 3–30 characters of a–z, 0–9 and _' }))
  .openapi({ example: 'ada_l' });

export const PasswordSchema = z
  .string()
  .min(8, { error: 'Password must be at least 8 characters' })
  .max(128, { error: 'Password must be at most 128 characters' })
  .openapi({ example: 'correct horse battery staple' });

export const TokenSchema = z.string().min(1).max(512);

export const UserSchema = z
  .object({
    id: z.string(),
    email: z.string(),
    emailVerified: z.boolean(),
    handle: z.string(),
    role: z.enum(['user', 'admin']),
    displayName: z.string().nullable(),
    bio: z.string().nullable(),
    avatarUrl: z.string().nullable(),
    hasPassword: z.boolean(),
    createdAt: z.string(),
  })
  .openapi('User');

export const PublicProfileSchema = z
  .object({ handle: z.string(), displayName: z.string().nullable(), bio: z.string().nullable(), avatarUrl: z.string().nullable(), createdAt: z.string() })
  .openapi('PublicProfile');

export const ProfilePatchSchema = z
  .object({
    displayName: z.string().trim().max(100).nullable().optional(),
    bio: z.string().max(2000).nullable().optional(),
    avatarUrl: z
      .url({ protocol: /^https$/, error: 'Avatar URL must be an https URL' })
      .max(2048)
      .nullable()
      .optional(),
  })
  .strict()
  .openapi('ProfilePatch');

export type User = z.infer<typeof UserSchema>;
export type PublicProfile = z.infer<typeof PublicProfileSchema>;
export type ProfilePatch = z.infer<typeof ProfilePatchSchema>;
