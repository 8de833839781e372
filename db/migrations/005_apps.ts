import type { Kysely } from 'kysely';

// Tables of the NUBOMEDIA PaaS apps and media servers domain (placeholder until the domain lands).
export async function up(_db: Kysely<any>): Promise<void> {}

export async function down(_db: Kysely<any>): Promise<void> {}
