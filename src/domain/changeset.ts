/**
 * A changeset is one write that changed scenarios in bulk, kept so it can be shown and undone as a
 * whole. These are its names and the pure rules of undoing it; the store keeps the rows.
 */

/** What made the write. */
export const CHANGESET_KINDS = ['apply', 'instructions', 'bulk_update', 'bulk_create', 'import', 'generate', 'folder', 'tags', 'revert'] as const;
export type ChangesetKind = (typeof CHANGESET_KINDS)[number];

/** What the write did to one scenario. */
export const CHANGESET_ACTIONS = ['update', 'create', 'delete'] as const;
export type ChangesetAction = (typeof CHANGESET_ACTIONS)[number];

/** `applied` until a revert undoes some of its scenarios (`partly_reverted`) or all (`reverted`). */
export type ChangesetStatus = 'applied' | 'partly_reverted' | 'reverted';

export function changesetStatus(items: number, reverted: number): ChangesetStatus {
  if (reverted === 0) return 'applied';
  return reverted >= items ? 'reverted' : 'partly_reverted';
}

/** Why one scenario of a revert was left alone. */
export type RevertConflictReason = 'changed' | 'deleted' | 'exists' | 'invalid';

/** What undoing one item does, given the scenario as it is now (null: it no longer exists). */
export type RevertStep =
  | { kind: 'restore_fields' }
  | { kind: 'delete' }
  | { kind: 'recreate' }
  /** A created scenario someone already deleted: nothing is left to undo. */
  | { kind: 'nothing' }
  | { kind: 'conflict'; reason: RevertConflictReason; message: string };

/**
 * The rule of undoing one item. A scenario written since the changeset (its revision moved on) is a
 * conflict unless `force`; with `force` only the fields the changeset changed go back, so later
 * edits to other fields stay.
 */
export function revertStep(
  item: { scenario_id: number; action: ChangesetAction; after_revision: number | null },
  current: { revision: number } | null,
  force: boolean,
): RevertStep {
  const id = item.scenario_id;
  if (item.action === 'delete') {
    return current ? { kind: 'conflict', reason: 'exists', message: `Scenario ${id} exists again; it was not restored over.` } : { kind: 'recreate' };
  }
  if (!current) {
    if (item.action === 'create') return { kind: 'nothing' };
    return { kind: 'conflict', reason: 'deleted', message: `Scenario ${id} was deleted since; there is nothing to revert.` };
  }
  if (current.revision !== item.after_revision && !force) {
    return {
      kind: 'conflict',
      reason: 'changed',
      message: `Scenario ${id} changed since (revision ${item.after_revision}, now ${current.revision}); it was left alone. Revert with force to undo it anyway.`,
    };
  }
  return item.action === 'create' ? { kind: 'delete' } : { kind: 'restore_fields' };
}
