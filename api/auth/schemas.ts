import { z } from '@hono/zod-openapi';
import { PROJECT_ID_PATTERN, ROLES } from './access';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, USERNAME_PATTERN } from './users';

/** zod schemas of the identity API: they validate requests and generate /openapi.json. */

export const UsernameSchema = z
  .string()
  .regex(USERNAME_PATTERN, 'must be 2-63 characters of a-z, 0-9, ".", "_" or "-", starting with a letter or digit')
  .openapi({ example: 'alice' });
export const ProjectIdSchema = z
  .string()
  .regex(PROJECT_ID_PATTERN, 'must be 2-63 characters of a-z, 0-9 or "-", starting with a letter or digit')
  .openapi({ example: 'demo' });
export const PasswordSchema = z.string().min(MIN_PASSWORD_LENGTH).max(MAX_PASSWORD_LENGTH).openapi({ format: 'password' });
export const RoleSchema = z.enum(ROLES).openapi('Role');
const Timestamp = z.string().openapi({ format: 'date-time' });
const Uuid = z.uuid();

export const ErrorSchema = z
  .object({ error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }) })
  .openapi('Error');

// ---- tokens

export const TokenRequestSchema = z
  .strictObject({
    username: z.string().min(1).max(64).optional().openapi({ description: 'With password, instead of HTTP Basic' }),
    password: z.string().min(1).max(MAX_PASSWORD_LENGTH).optional().openapi({ format: 'password' }),
    name: z.string().min(1).max(100).optional().openapi({ example: 'ci' }),
    ttlSeconds: z.number().int().min(60).max(366 * 24 * 3600).optional().openapi({ description: 'Default 90 days' }),
    projectId: ProjectIdSchema.optional().openapi({ description: 'Restrict the token to this project' }),
  })
  .openapi('TokenRequest');

export const IssuedTokenSchema = z
  .object({
    id: Uuid,
    token: z.string().openapi({ description: 'Shown once; only its hash is stored' }),
    expiresAt: Timestamp.nullable(),
    name: z.string().nullable(),
    projectId: z.string().nullable(),
  })
  .openapi('IssuedToken');

export const TokenSchema = z
  .object({
    id: Uuid,
    kind: z.enum(['api', 'session', 'oauth_access', 'oauth_refresh']),
    name: z.string().nullable(),
    projectId: z.string().nullable(),
    expiresAt: Timestamp.nullable(),
    lastUsedAt: Timestamp.nullable(),
    createdAt: Timestamp,
  })
  .openapi('Token');

// ---- users

export const UserSchema = z
  .object({
    id: Uuid,
    username: z.string(),
    isAdmin: z.boolean(),
    disabled: z.boolean(),
    defaultProjectId: z.string().nullable(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .openapi('User');

export const CreateUserSchema = z
  .strictObject({
    username: UsernameSchema,
    password: PasswordSchema,
    isAdmin: z.boolean().optional(),
    defaultProjectId: ProjectIdSchema.optional(),
  })
  .openapi('CreateUser');

export const UpdateUserSchema = z
  .strictObject({
    disabled: z.boolean().optional(),
    isAdmin: z.boolean().optional(),
    password: PasswordSchema.optional(),
    defaultProjectId: ProjectIdSchema.nullable().optional(),
  })
  .openapi('UpdateUser');

export const ChangePasswordSchema = z
  .strictObject({ currentPassword: z.string().min(1).max(MAX_PASSWORD_LENGTH), newPassword: PasswordSchema })
  .openapi('ChangePassword');

export const MeSchema = z
  .object({
    id: Uuid,
    username: z.string(),
    isAdmin: z.boolean(),
    defaultProjectId: z.string().nullable(),
    tokenId: Uuid.nullable(),
    projects: z.array(z.object({ id: z.string(), name: z.string(), role: RoleSchema })),
  })
  .openapi('Me');

// ---- projects and memberships

export const ProjectSchema = z
  .object({ id: z.string(), name: z.string(), role: RoleSchema.openapi({ description: 'Your role in it' }), createdAt: Timestamp })
  .openapi('Project');

export const CreateProjectSchema = z
  .strictObject({ id: ProjectIdSchema, name: z.string().trim().min(1).max(200).optional() })
  .openapi('CreateProject');

export const MemberSchema = z
  .object({ userId: Uuid, username: z.string(), role: RoleSchema, createdAt: Timestamp })
  .openapi('Member');

export const AddMemberSchema = z
  .strictObject({ userId: Uuid.optional(), username: UsernameSchema.optional(), role: RoleSchema })
  .refine((v) => (v.userId === undefined) !== (v.username === undefined), { message: 'give exactly one of userId and username', path: ['userId'] })
  .openapi('AddMember');

export const UpdateMemberSchema = z.strictObject({ role: RoleSchema }).openapi('UpdateMember');

// ---- path parameters

export const IdParam = z.object({ id: Uuid.openapi({ param: { name: 'id', in: 'path' } }) });
export const ProjectParam = z.object({ id: ProjectIdSchema.openapi({ param: { name: 'id', in: 'path' } }) });
export const MemberParam = z.object({
  id: ProjectIdSchema.openapi({ param: { name: 'id', in: 'path' } }),
  userId: Uuid.openapi({ param: { name: 'userId', in: 'path' } }),
});
