import type { Kysely } from 'kysely';

/**
 * The SHA-256 of a knowledge-base file's bytes as uploaded, so a client can tell that a file it is
 * about to upload is already there (the CLI's `generate --kb` and `kb upload` skip it). Files
 * uploaded before this migration have none.
 */
export const kbContentHash = {
  async up(db: Kysely<any>): Promise<void> {
    await db.schema.alterTable('knowledge_base_files').addColumn('content_sha256', 'text').execute();
  },
};
