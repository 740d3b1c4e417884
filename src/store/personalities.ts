import { ValidationError } from '../domain/errors.js';
import type { Db, Executor } from './db.js';
import { deleteOwned, insertOwned, mergeDocumented, updateOwned } from './owned-rows.js';
import { getOwned, projectOfWrite } from './ownership.js';
import type { Row } from './schema.js';

export interface PersonalityInput {
  project?: number | null;
  name: string;
  description?: string;
  prompt?: string;
  language?: string;
  accent?: string;
  /** Documented fields kept without behaviour; merged into what is kept on update. */
  documented?: Record<string, unknown>;
}

export const PREDEFINED_READ_ONLY = 'Predefined personalities cannot be changed; create your own instead.';

/**
 * The organization's personalities usable in a project: the predefined set and any without a
 * project, plus that project's own; every one of them when no project is named.
 */
export function listPersonalities(db: Executor, organizationId: number, filter: { projectId?: number; language?: string }): Promise<Row<'personalities'>[]> {
  let q = db.selectFrom('personalities').selectAll().where('organization_id', '=', organizationId);
  const { projectId, language } = filter;
  if (projectId !== undefined) q = q.where((eb) => eb.or([eb('project_id', 'is', null), eb('project_id', '=', projectId)]));
  if (language !== undefined) q = q.where('language', '=', language);
  return q.orderBy('id').execute();
}

export function getPersonality(db: Executor, organizationId: number, id: number): Promise<Row<'personalities'>> {
  return getOwned(db, 'personalities', organizationId, id);
}

export async function createPersonality(db: Executor, organizationId: number, input: PersonalityInput, now: string): Promise<Row<'personalities'>> {
  await projectOfWrite(db, organizationId, { project: input.project }, false);
  return insertOwned(db, 'personalities', {
    organization_id: organizationId,
    project_id: input.project ?? null,
    name: input.name,
    description: input.description ?? '',
    // The simulated caller is driven by the prompt; a description alone is the best prompt there is.
    prompt: input.prompt ?? input.description ?? '',
    language: input.language ?? 'en',
    accent: input.accent ?? '',
    documented: JSON.stringify(input.documented ?? {}),
    is_predefined: 0,
    created_at: now,
    updated_at: now,
  });
}

async function ownEditable(db: Executor, organizationId: number, id: number): Promise<Row<'personalities'>> {
  const current = await getPersonality(db, organizationId, id);
  // The predefined set is shared by every project of the organization; editing it would change them all.
  if (current.is_predefined) throw ValidationError.field('non_field_errors', PREDEFINED_READ_ONLY);
  return current;
}

export async function updatePersonality(
  db: Executor,
  organizationId: number,
  id: number,
  patch: Partial<PersonalityInput>,
  now: string,
): Promise<Row<'personalities'>> {
  const current = await ownEditable(db, organizationId, id);
  await projectOfWrite(db, organizationId, { project: patch.project }, false);
  const { project, documented, ...rest } = patch;
  return updateOwned(db, 'personalities', organizationId, id, {
    ...rest,
    ...(project !== undefined ? { project_id: project } : {}),
    ...(documented ? { documented: mergeDocumented(current.documented, documented) } : {}),
    updated_at: now,
  });
}

/** Refuses while any scenario still uses the personality: a scenario cannot exist without one. */
export async function deletePersonality(db: Db, organizationId: number, id: number): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await ownEditable(tx, organizationId, id);
    const { n } = await tx
      .selectFrom('scenarios')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('organization_id', '=', organizationId)
      .where('personality_id', '=', id)
      .executeTakeFirstOrThrow();
    const used = Number(n);
    if (used > 0) {
      throw ValidationError.field(
        'non_field_errors',
        `${used} scenario${used === 1 ? '' : 's'} use${used === 1 ? 's' : ''} this personality; give ${used === 1 ? 'it' : 'them'} another one first.`,
      );
    }
    await deleteOwned(tx, 'personalities', organizationId, id);
  });
}
