import { z } from '@hono/zod-openapi';

/** Kahu bodies are forms; every field arrives as a string (or a File for uploads). */
const required = (field: string) => z.string({ error: `${field} is required` }).trim().min(1, `${field} is required`);

export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const nameField = (field: string) =>
  required(field).regex(NAME_PATTERN, `${field} must be 1-63 letters, digits, '.', '_' or '-'`);

const booleanField = (field: string) =>
  z
    .enum(['true', 'false', '1', '0'], { error: `${field} must be true or false` })
    .transform((v) => v === 'true' || v === '1');

/** A file part (curl -F x=@file) or a plain text field. */
const textOrFile = z.union([z.string(), z.instanceof(File)]).openapi({ type: 'string' });
const fileField = z.instanceof(File, { error: 'file must be an uploaded file' }).openapi({ type: 'string', format: 'binary' });

export const CreateInstanceForm = z
  .object({
    profile: required('profile').openapi({ example: 'debian-jessie-amd64' }),
    size: required('size').openapi({ example: '1cpu256mb' }),
    hypervisor: z
      .string()
      .regex(/^(\/v0\/hypervisor\/instance\/)?\d+\/?$/, 'hypervisor must be /v0/hypervisor/instance/{n} or n')
      .optional()
      .openapi({ example: '/v0/hypervisor/instance/0' }),
    'ssh-key': textOrFile.optional(),
    name: nameField('name').optional(),
  })
  .openapi('CreateInstanceForm');

export const StorageForm = z
  .object({
    name: nameField('name'),
    size: z.coerce
      .number({ error: 'size must be a number of megabytes' })
      .int('size must be a whole number of megabytes')
      .min(1, 'size must be at least 1 MB')
      .max(16 * 1024 * 1024, 'size must be at most 16 TB')
      .optional(),
    file: fileField.optional(),
    bootable: booleanField('bootable').optional(),
    'media-type': z.enum(['disk', 'cdrom'], { error: 'media-type must be disk or cdrom' }).optional(),
    'guest-iface': z.enum(['virtio', 'ide', 'scsi', 'usb'], { error: 'guest-iface must be virtio, ide, scsi or usb' }).optional(),
    type: z.enum(['qcow2', 'raw'], { error: 'type must be qcow2 or raw' }).optional(),
  })
  .superRefine((v, ctx) => {
    if (v.size !== undefined && v.file !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['file'], message: 'file and size are mutually exclusive' });
    }
    if (v.size === undefined && v.file === undefined) {
      ctx.addIssue({ code: 'custom', path: ['size'], message: 'size (MB) or file is required' });
    }
  })
  .openapi('StorageForm');

export const SnapshotForm = z.object({ name: nameField('name') }).openapi('SnapshotForm');

export const HwForm = z
  .object({
    'hyperv-compat': booleanField('hyperv-compat').optional(),
    'rtc-clock': z.enum(['host', 'vm', 'rt'], { error: 'rtc-clock must be host, vm or rt' }).optional(),
    'rtc-driftfix': z.enum(['slew', 'none'], { error: 'rtc-driftfix must be slew or none' }).optional(),
    'rtc-base': z
      .string()
      .regex(/^(utc|localtime|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})$/, 'rtc-base must be utc, localtime or YYYY-MM-DDThh:mm:ss')
      .optional(),
  })
  .refine((v) => Object.values(v).some((x) => x !== undefined), { message: 'at least one hw setting is required' })
  .openapi('HwForm');

export const ConsoleForm = z
  .object({
    pointer: z.enum(['usb-tablet', 'usb-mouse', 'ps/2'], { error: 'pointer must be usb-tablet, usb-mouse or ps/2' }),
  })
  .openapi('ConsoleForm');

export const LoginForm = z.object({ role: required('role'), password: required('password') }).openapi('LoginForm');
export const PasswordForm = z
  .object({ 'current-password': required('current-password'), password: required('password') })
  .openapi('PasswordForm');

export const SizeForm = z
  .object({
    name: nameField('name'),
    ncpu: z.coerce.number({ error: 'ncpu must be a number' }).int().min(1, 'ncpu must be at least 1').max(256),
    memory: z.coerce.number({ error: 'memory must be a number of MB' }).int().min(64, 'memory must be at least 64 MB').max(4 * 1024 * 1024),
  })
  .openapi('SizeForm');

const ProfileVolumeSchema = z.object({
  bootable: z.boolean().default(false),
  bus: z.string().default(''),
  'guest-iface': z.enum(['virtio', 'ide', 'scsi', 'usb']).default('virtio'),
  'media-type': z.enum(['disk', 'cdrom']).default('disk'),
  order: z.number().int().min(0),
  size: z.number().int().min(1),
  tag: z.string().nullable().default(null),
  type: z.enum(['qcow2', 'raw']).default('qcow2'),
});

export const ProfileBody = z
  .object({
    name: nameField('name'),
    network: z.record(z.string(), z.object({ type: z.enum(['virtio', 'e1000', 'rtl8139']) })),
    storage: z.record(z.string(), ProfileVolumeSchema),
  })
  .openapi('ProfileBody');

export const InstanceParams = z.object({
  n: z.coerce.number({ error: 'instance number must be a number' }).int().min(0).openapi({ param: { name: 'n', in: 'path' } }),
});

export const MessageSchema = z.object({ message: z.string() }).passthrough().openapi('KahuMessage');
export const KahuErrorSchema = z.object({ error: z.string(), message: z.string() }).openapi('KahuError');
