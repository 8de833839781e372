import type { Kysely } from 'kysely';

// Tables of the FIWARE flavor catalog across regions domain (placeholder until the domain lands).
export async function up(_db: Kysely<any>): Promise<void> {}

export async function down(_db: Kysely<any>): Promise<void> {}
