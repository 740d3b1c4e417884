import { Conflict, FieldErrorCollector, type FieldErrors, ValidationError } from '../domain/errors.js';
import { yielder, yieldToEventLoop } from '../domain/event-loop.js';
import {
  checkScenarioRules,
  createdFields,
  diffScenarioFields,
  EMPTY_SCENARIO,
  type FieldChanges,
  normalizedValue,
  SCENARIO_FIELDS,
  type ScenarioCreate,
  type ScenarioFields,
  type ScenarioPatch,
} from '../domain/scenario.js';
import { PREDEFINED_TOOL_IDS } from '../domain/tools.js';
import type { Executor } from './db.js';
import { folderPathExists } from './folders.js';
import { getOwned } from './ownership.js';
import type { NewRow, Row } from './schema.js';
import { type Column, idsPerRead, insertRows, updateGuarded } from './set-writes.js';
import { containsText } from './text-search.js';

/** Who made a write, as revisions record it. */
export interface Actor {
  keyId: number | null;
  name: string;
}

export type ChangeType = 'create' | 'update' | 'apply' | 'revert' | 'bulk_update' | 'instructions' | 'import';

export interface WriteOptions {
  now: string;
  changeType?: ChangeType;
  reason?: string;
  /** The revision a suggestion was based on: a scenario changed since then is a conflict. */
  expectedRevision?: number;
  /** The job whose suggestions this write applies (its progress_id), recorded with each revision. */
  source?: string;
}

/** What a revision records of where its values came from, beyond who wrote it and why. */
export interface RevisionOrigin {
  /** The job whose suggestions were applied (its progress_id). */
  source?: string;
  /** The fields whose applied value the reviewer corrected first. */
  edited?: readonly string[];
}

const CHUNK = 500;
/** The scenario columns that hold integers: PostgreSQL's set-based writes name each column's type. */
const INTEGER_COLUMNS = new Set(['agent_id', 'personality_id', 'inbound_phone_number', 'is_predefined', 'test_profile_id', 'max_duration']);

/** The versioned content of a stored row. */
export function scenarioFieldsOf(r: Row<'scenarios'>): ScenarioFields {
  return {
    name: r.name,
    agent: r.agent_id,
    personality: r.personality_id,
    tags: JSON.parse(r.tags),
    tool_ids: JSON.parse(r.tool_ids),
    metrics: JSON.parse(r.metrics),
    first_message: r.first_message,
    inbound_phone_number: r.inbound_phone_number,
    instructions: r.instructions,
    conditional_actions: r.conditional_actions === null ? null : JSON.parse(r.conditional_actions),
    simulation_description: r.simulation_description,
    information_fields: JSON.parse(r.information_fields),
    expected_outcome_prompt: r.expected_outcome_prompt,
    scenario_language: r.scenario_language as ScenarioFields['scenario_language'],
    scenario_type: r.scenario_type as ScenarioFields['scenario_type'],
    suite_type: r.suite_type as ScenarioFields['suite_type'],
    is_predefined: r.is_predefined === 1,
    test_profile: r.test_profile_id,
    generated_mock_tool_entries: r.generated_mock_tool_entries === null ? null : JSON.parse(r.generated_mock_tool_entries),
    folder_path: r.folder_path,
    max_duration: r.max_duration,
  };
}

const text = JSON.stringify;

/**
 * A stored row's content as revisions keep it: the JSON of scenarioFieldsOf(r), made from the
 * columns' own JSON text instead of parsing and serializing it again (a 10,000-change apply
 * snapshots 10,000 rows).
 */
export function snapshotOf(r: Row<'scenarios'>): string {
  return `{"name":${text(r.name)},"agent":${r.agent_id},"personality":${r.personality_id},"tags":${r.tags},"tool_ids":${r.tool_ids},"metrics":${r.metrics},"first_message":${text(r.first_message)},"inbound_phone_number":${r.inbound_phone_number},"instructions":${text(r.instructions)},"conditional_actions":${r.conditional_actions},"simulation_description":${text(r.simulation_description)},"information_fields":${r.information_fields},"expected_outcome_prompt":${text(r.expected_outcome_prompt)},"scenario_language":${text(r.scenario_language)},"scenario_type":${text(r.scenario_type)},"suite_type":${text(r.suite_type)},"is_predefined":${r.is_predefined === 1},"test_profile":${r.test_profile_id},"generated_mock_tool_entries":${r.generated_mock_tool_entries},"folder_path":${text(r.folder_path)},"max_duration":${r.max_duration}}`;
}

function columnsOf(f: Partial<ScenarioFields>): Partial<NewRow<'scenarios'>> {
  const c: Partial<NewRow<'scenarios'>> = {};
  const json = (v: unknown) => JSON.stringify(v);
  if (f.name !== undefined) c.name = f.name;
  if (f.agent !== undefined) c.agent_id = f.agent;
  if (f.personality !== undefined) c.personality_id = f.personality;
  if (f.tags !== undefined) c.tags = json(f.tags);
  if (f.tool_ids !== undefined) c.tool_ids = json(f.tool_ids);
  if (f.metrics !== undefined) c.metrics = json(f.metrics);
  if (f.first_message !== undefined) c.first_message = f.first_message;
  if (f.inbound_phone_number !== undefined) c.inbound_phone_number = f.inbound_phone_number;
  if (f.instructions !== undefined) c.instructions = f.instructions;
  if (f.conditional_actions !== undefined) c.conditional_actions = f.conditional_actions === null ? null : json(f.conditional_actions);
  if (f.simulation_description !== undefined) c.simulation_description = f.simulation_description;
  if (f.information_fields !== undefined) c.information_fields = json(f.information_fields);
  if (f.expected_outcome_prompt !== undefined) c.expected_outcome_prompt = f.expected_outcome_prompt;
  if (f.scenario_language !== undefined) c.scenario_language = f.scenario_language;
  if (f.scenario_type !== undefined) c.scenario_type = f.scenario_type;
  if (f.suite_type !== undefined) c.suite_type = f.suite_type;
  if (f.is_predefined !== undefined) c.is_predefined = f.is_predefined ? 1 : 0;
  if (f.test_profile !== undefined) c.test_profile_id = f.test_profile;
  if (f.generated_mock_tool_entries !== undefined) {
    c.generated_mock_tool_entries = f.generated_mock_tool_entries === null ? null : json(f.generated_mock_tool_entries);
  }
  if (f.folder_path !== undefined) c.folder_path = f.folder_path;
  if (f.max_duration !== undefined) c.max_duration = f.max_duration;
  return c;
}

/** A write's body reduced to stored fields: aliases resolved, write-only inputs checked and dropped. */
function contentOf(input: ScenarioPatch, errors: FieldErrorCollector): Partial<ScenarioFields> {
  const out: Partial<ScenarioFields> = {};
  for (const f of SCENARIO_FIELDS) {
    const v = (input as Record<string, unknown>)[f];
    if (v !== undefined) (out as Record<string, unknown>)[f] = v;
  }
  if (input.phone_number !== undefined) out.inbound_phone_number = input.phone_number;
  if (input.dynamic_variable_values !== undefined && input.dynamic_variable_values !== null) {
    errors.add(
      'dynamic_variable_values',
      'This field has been removed from the API. Put dynamic variables in a test profile (test_profile_data.information.main_agent_variables).',
    );
  }
  if (out.tags) out.tags = normalizedValue('tags', out.tags) as string[];
  return out;
}

/** Every tool id the organization may use: the predefined ones and its own. */
export async function allowedToolIds(db: Executor, organizationId: number): Promise<Set<string>> {
  const own = await db.selectFrom('tools').select('tool_id').where('organization_id', '=', organizationId).execute();
  return new Set([...PREDEFINED_TOOL_IDS, ...own.map((t) => t.tool_id)]);
}

async function exists(db: Executor, table: 'personalities' | 'aiagents' | 'test_profiles', organizationId: number, id: number) {
  return db.selectFrom(table).select(['id']).where('id', '=', id).where('organization_id', '=', organizationId).executeTakeFirst();
}

const invalidPk = (id: unknown) => `Invalid pk "${String(id)}" - object does not exist.`;

/**
 * What the checks of one request's writes already looked up, by reference: checking 10,000 changes
 * in one transaction then asks the database once per distinct personality, agent, folder or tool
 * list, not once per change. Valid only within that request.
 */
export type ReferenceLookups = Map<string, Promise<unknown>>;

function lookedUp<T>(lookups: ReferenceLookups | undefined, key: string, load: () => Promise<T>): Promise<T> {
  if (!lookups) return load();
  let found = lookups.get(key) as Promise<T> | undefined;
  if (!found) lookups.set(key, (found = load()));
  return found;
}

/**
 * Checks the references of the fields a write sets (personality, agent, test profile, metrics,
 * tools, folder, phone number) against the organization and the scenario's project, and the
 * scenario's cross-field rules after the write. Collects every problem; writes nothing.
 */
export async function checkScenarioWrite(
  db: Executor,
  organizationId: number,
  projectId: number,
  merged: ScenarioFields,
  set: Partial<ScenarioFields>,
  errors = new FieldErrorCollector(),
  lookups?: ReferenceLookups,
): Promise<FieldErrorCollector> {
  if (set.personality !== undefined) {
    const id = set.personality;
    const p = await lookedUp(lookups, `personality:${id}`, () =>
      db.selectFrom('personalities').select(['id', 'project_id']).where('id', '=', id).where('organization_id', '=', organizationId).executeTakeFirst(),
    );
    if (!p || (p.project_id !== null && p.project_id !== projectId)) errors.add('personality', invalidPk(set.personality));
  }
  if (set.agent != null) {
    const id = set.agent;
    const a = await lookedUp(lookups, `agent:${id}`, () =>
      db.selectFrom('aiagents').select(['id', 'project_id']).where('id', '=', id).where('organization_id', '=', organizationId).executeTakeFirst(),
    );
    if (!a) errors.add('agent', invalidPk(set.agent));
    else if (a.project_id !== projectId) errors.add('agent', `Agent ${set.agent} belongs to another project.`);
  }
  if (set.test_profile != null) {
    const id = set.test_profile;
    if (!(await lookedUp(lookups, `test_profile:${id}`, () => exists(db, 'test_profiles', organizationId, id)))) errors.add('test_profile', invalidPk(id));
  }
  if (set.metrics?.length) {
    const ids = [...new Set(set.metrics)].sort((a, b) => a - b);
    const found = await lookedUp(lookups, `metrics:${ids.join(',')}`, () =>
      db.selectFrom('metrics').select('id').where('organization_id', '=', organizationId).where('id', 'in', ids).execute(),
    );
    const known = new Set(found.map((m) => m.id));
    for (const m of set.metrics) if (!known.has(m)) errors.add('metrics', invalidPk(m));
  }
  if (set.tool_ids?.length) {
    const allowed = await lookedUp(lookups, 'tools', () => allowedToolIds(db, organizationId));
    for (const t of set.tool_ids) {
      if (!allowed.has(t)) errors.add('tool_ids', `Unknown tool id "${t}". Use a predefined id (${[...PREDEFINED_TOOL_IDS].join(', ')}) or one of your tools.`);
    }
  }
  if (set.inbound_phone_number != null) errors.add('inbound_phone_number', invalidPk(set.inbound_phone_number));
  if (set.folder_path != null) {
    const folder = set.folder_path;
    if (!(await lookedUp(lookups, `folder:${projectId}:${folder}`, () => folderPathExists(db, organizationId, projectId, folder)))) {
      errors.add('folder_path', `Folder "${folder}" does not exist in this project. Create it first with scenarios/create_folder/.`);
    }
  }
  checkScenarioRules(merged, errors);
  return errors;
}

const REVISION_COLUMNS: Column[] = [
  { name: 'organization_id', type: 'integer' },
  { name: 'scenario_id', type: 'integer' },
  { name: 'revision', type: 'integer' },
  { name: 'change_type', type: 'text' },
  { name: 'changed_fields', type: 'text' },
  { name: 'snapshot', type: 'text' },
  { name: 'actor_key_id', type: 'integer' },
  { name: 'actor', type: 'text' },
  { name: 'reason', type: 'text' },
  { name: 'created_at', type: 'text' },
  { name: 'source_progress_id', type: 'text' },
  { name: 'edited_fields', type: 'text' },
];

/** The revision that records `row` as it is now, as values in REVISION_COLUMNS order (what insertRows takes). */
function revisionValues(
  row: Row<'scenarios'>,
  changes: FieldChanges,
  actor: Actor,
  change: { type: ChangeType; reason: string } & RevisionOrigin,
  now: string,
): unknown[] {
  return [
    row.organization_id,
    row.id,
    row.revision,
    change.type,
    JSON.stringify(changes),
    snapshotOf(row),
    actor.keyId,
    actor.name,
    change.reason,
    now,
    change.source ?? null,
    change.edited?.length ? JSON.stringify(change.edited) : null,
  ];
}

/** Resolves `assistant_id` to the organization's agent with that provider id. */
async function agentOfAssistant(db: Executor, organizationId: number, assistantId: string): Promise<Row<'aiagents'> | undefined> {
  return db.selectFrom('aiagents').selectAll().where('organization_id', '=', organizationId).where('assistant_id', '=', assistantId).executeTakeFirst();
}

/**
 * A new scenario's body checked as a create checks it: aliases resolved, its project found from
 * `project`, `agent` or `assistant_id`, every reference and rule verified. Writes nothing; throws
 * the collected field errors. `name` and `personality` stay absent when the body has none.
 */
export async function prepareScenarioCreate(
  db: Executor,
  organizationId: number,
  input: ScenarioPatch,
): Promise<{ projectId: number; merged: ScenarioFields }> {
  const errors = new FieldErrorCollector();
  const set = contentOf(input, errors);
  if (input.assistant_id !== undefined && set.agent == null) {
    const agent = await agentOfAssistant(db, organizationId, input.assistant_id);
    if (agent) set.agent = agent.id;
    else errors.add('assistant_id', `No agent has assistant_id "${input.assistant_id}".`);
  }
  let projectId = input.project ?? null;
  if (projectId !== null) {
    const p = await db.selectFrom('projects').select('id').where('id', '=', projectId).where('organization_id', '=', organizationId).executeTakeFirst();
    if (!p) errors.add('project', invalidPk(projectId));
  } else if (set.agent != null) {
    const a = await exists(db, 'aiagents', organizationId, set.agent);
    const agent = a && (await db.selectFrom('aiagents').select('project_id').where('id', '=', a.id).executeTakeFirst());
    if (agent) projectId = agent.project_id;
    else errors.add('agent', invalidPk(set.agent));
  } else if (input.assistant_id === undefined) {
    errors.add('non_field_errors', 'Either agent or project is required.');
  }
  errors.throwIfAny();
  const merged: ScenarioFields = { ...EMPTY_SCENARIO, ...set } as ScenarioFields;
  (await checkScenarioWrite(db, organizationId, projectId!, merged, set, errors)).throwIfAny();
  return { projectId: projectId!, merged };
}

/** Inserts a scenario with its first recorded revision (a new one, or one brought back under its old id). */
async function insertScenario(
  db: Executor,
  organizationId: number,
  actor: Actor,
  at: { projectId: number; revision: number; id?: number },
  fields: ScenarioFields,
  change: { type: ChangeType; reason: string } & RevisionOrigin,
  now: string,
): Promise<Row<'scenarios'>> {
  const row = await db
    .insertInto('scenarios')
    .values({
      ...(columnsOf(fields) as NewRow<'scenarios'>),
      ...(at.id !== undefined ? { id: at.id } : {}),
      organization_id: organizationId,
      project_id: at.projectId,
      dynamic_variable_values: null,
      revision: at.revision,
      created_by: actor.keyId,
      last_updated_by: actor.keyId,
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await insertRows(db, 'scenario_revisions', REVISION_COLUMNS, [revisionValues(row, createdFields(fields), actor, change, now)]);
  return row;
}

/**
 * Creates a scenario and its first revision. The caller runs it in a transaction with its other
 * writes. A draft applied from a job says so (`origin`, and why in `reason`).
 */
export async function createScenario(
  db: Executor,
  organizationId: number,
  actor: Actor,
  input: ScenarioCreate,
  now: string,
  origin: RevisionOrigin & { reason?: string } = {},
): Promise<Row<'scenarios'>> {
  const { projectId, merged } = await prepareScenarioCreate(db, organizationId, input);
  return insertScenario(db, organizationId, actor, { projectId, revision: 1 }, merged, { type: 'create', reason: origin.reason ?? '', ...origin }, now);
}

/** What only a stored scenario has: identity, revision, authors and times. */
export type ScenarioRowMeta = Pick<
  Row<'scenarios'>,
  'id' | 'organization_id' | 'project_id' | 'revision' | 'created_by' | 'last_updated_by' | 'created_at' | 'updated_at' | 'dynamic_variable_values'
>;

/** A scenario row as it would be stored with these fields, for showing a version that is not written (a preview). */
export function unsavedRow(fields: ScenarioFields, meta: ScenarioRowMeta): Row<'scenarios'> {
  return { ...meta, ...columnsOf(fields) } as Row<'scenarios'>;
}

/** Whether a write with this change type and reason was already recorded for the scenario. */
export async function hasRevisionWithReason(
  db: Executor,
  organizationId: number,
  scenarioId: number,
  changeType: ChangeType,
  reason: string,
): Promise<boolean> {
  const row = await db
    .selectFrom('scenario_revisions')
    .select('id')
    .where('organization_id', '=', organizationId)
    .where('scenario_id', '=', scenarioId)
    .where('change_type', '=', changeType)
    .where('reason', '=', reason)
    .executeTakeFirst();
  return !!row;
}

export function getScenario(db: Executor, organizationId: number, id: number): Promise<Row<'scenarios'>> {
  return getOwned(db, 'scenarios', organizationId, id);
}

/** The body's content merged over a stored scenario, with every problem the write would have. */
export async function prepareScenarioUpdate(
  db: Executor,
  organizationId: number,
  current: Row<'scenarios'>,
  patch: ScenarioPatch,
  lookups?: ReferenceLookups,
): Promise<{ set: Partial<ScenarioFields>; before: ScenarioFields; merged: ScenarioFields; errors: FieldErrors | null }> {
  const errors = new FieldErrorCollector();
  const set = contentOf(patch, errors);
  if (patch.project != null && patch.project !== current.project_id) {
    errors.add('project', 'A scenario cannot move to another project; create it there instead.');
  }
  if (patch.assistant_id !== undefined && patch.agent === undefined) {
    const agent = await agentOfAssistant(db, organizationId, patch.assistant_id);
    if (agent) set.agent = agent.id;
    else errors.add('assistant_id', `No agent has assistant_id "${patch.assistant_id}".`);
  }
  const before = scenarioFieldsOf(current);
  const merged = { ...before, ...set } as ScenarioFields;
  await checkScenarioWrite(db, organizationId, current.project_id, merged, set, errors, lookups);
  return { set, before, merged, errors: errors.empty ? null : errors.fields };
}

/**
 * Writes a change to one scenario with its revision. A write that changes nothing records nothing.
 * The update is conditional on the revision read, so two concurrent writers cannot both win.
 */
export async function updateScenario(
  db: Executor,
  organizationId: number,
  actor: Actor,
  id: number,
  patch: ScenarioPatch,
  opts: WriteOptions,
): Promise<Row<'scenarios'>> {
  const current = await getScenario(db, organizationId, id);
  if (opts.expectedRevision !== undefined && current.revision !== opts.expectedRevision) {
    throw new Conflict(`Scenario ${id} has changed since revision ${opts.expectedRevision}.`, {
      conflicts: [{ scenario_id: id, based_on_revision: opts.expectedRevision, current_revision: current.revision }],
    });
  }
  const { merged, errors } = await prepareScenarioUpdate(db, organizationId, current, patch);
  if (errors) throw new ValidationError(errors);
  return writeMerged(db, actor, current, merged, opts);
}

/** Stores an already-validated version of a scenario as its next revision. */
export async function writeMerged(
  db: Executor,
  actor: Actor,
  current: Row<'scenarios'>,
  merged: ScenarioFields,
  opts: WriteOptions,
): Promise<Row<'scenarios'>> {
  return (await writeMergedMany(db, actor, [{ current, merged }], opts))[0]!;
}

/** A scenario as a write left it, with what the write changed (empty when it changed nothing). */
export interface WrittenVersion {
  row: Row<'scenarios'>;
  changes: FieldChanges;
}

/** One scenario's new version for writeMergedMany and writeScenarioVersions. */
export interface ScenarioVersion {
  current: Row<'scenarios'>;
  merged: ScenarioFields;
  /** The current row's content when the caller parsed it already: it is then not parsed again. */
  before?: ScenarioFields;
  /** The fields the write sets over `before`, when the caller knows them (prepareScenarioUpdate does): only those are compared. */
  set?: Partial<ScenarioFields>;
  /** This write's own reason, over `opts.reason`. */
  reason?: string;
  /** The fields whose applied value the reviewer corrected first. */
  edited?: readonly string[];
}

/**
 * Stores already-validated versions of many scenarios, each as its next revision: one UPDATE per
 * chunk of scenarios changing the same columns and their revision rows many to a statement, so
 * 10,000 changes are a few dozen statements. Each update is conditional on the revision read, so
 * two concurrent writers cannot both win. Run it in a transaction: a conflict throws after other
 * scenarios were updated.
 */
export async function writeMergedMany(db: Executor, actor: Actor, writes: ReadonlyArray<ScenarioVersion>, opts: WriteOptions): Promise<Row<'scenarios'>[]> {
  return (await writeScenarioVersions(db, actor, writes, opts)).map((w) => w.row);
}

/**
 * writeMergedMany, answering with each write's changes too: what a changeset records, known here
 * without reading or diffing the rows again.
 */
export async function writeScenarioVersions(db: Executor, actor: Actor, writes: ReadonlyArray<ScenarioVersion>, opts: WriteOptions): Promise<WrittenVersion[]> {
  const prepared = await prepareScenarioVersions(actor, writes, opts);
  await storeScenarioVersions(db, prepared);
  return prepared.versions;
}

/** Versions ready to store: each scenario as it will be, and the statements' rows that write them. */
export interface PreparedVersions {
  versions: WrittenVersion[];
  /** One guarded update per set of changed columns: per row its id, the revision read, then the columns' values. */
  updates: Array<{ columns: string[]; rows: unknown[][] }>;
  revisions: unknown[][];
  constants: { last_updated_by: number | null; updated_at: string };
}

/**
 * What writeScenarioVersions stores, worked out without the database: the caller can prepare a
 * part while the database writes the one before.
 */
export async function prepareScenarioVersions(actor: Actor, writes: ReadonlyArray<ScenarioVersion>, opts: WriteOptions): Promise<PreparedVersions> {
  const versions: WrittenVersion[] = [];
  const revisions: unknown[][] = [];
  // Only the changed columns: big applies mostly change one or two, the same ones for every scenario.
  const groups = new Map<string, { columns: string[]; rows: unknown[][] }>();
  const changeType = opts.changeType ?? 'update';
  // Diffing and serializing 10,000 scenarios is long synchronous work: other requests get turns between.
  const breathe = yielder(WRITES_PER_TURN);
  for (const { current, merged, before, set: written, reason, edited } of writes) {
    const turn = breathe();
    if (turn) await turn;
    // The merged version differs from the current one only in the fields the write sets.
    const changes = diffScenarioFields(before ?? scenarioFieldsOf(current), before && written ? written : merged);
    const fields = Object.keys(changes) as Array<keyof ScenarioFields>;
    if (fields.length === 0) {
      versions.push({ row: current, changes });
      continue;
    }
    const changed: Partial<ScenarioFields> = {};
    for (const f of fields) (changed as Record<string, unknown>)[f] = merged[f];
    const set = columnsOf(changed) as Record<string, unknown>;
    // columnsOf names columns in one order: writes changing the same fields list them alike.
    const columns = Object.keys(set);
    const key = columns.join(',');
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { columns, rows: [] }));
    const values: unknown[] = [current.id, current.revision];
    for (const c of columns) values.push(set[c]);
    group.rows.push(values);
    // The stored row is known without reading it back: the current one with the set columns written.
    const row = { ...current, ...set, revision: current.revision + 1, last_updated_by: actor.keyId, updated_at: opts.now } as Row<'scenarios'>;
    const change = { type: changeType, reason: reason ?? opts.reason ?? '', source: opts.source, edited };
    revisions.push(revisionValues(row, changes, actor, change, opts.now));
    versions.push({ row, changes });
  }
  return { versions, updates: [...groups.values()], revisions, constants: { last_updated_by: actor.keyId, updated_at: opts.now } };
}

/**
 * Stores prepared versions: each update conditional on the revision read, so two concurrent
 * writers cannot both win; a scenario another writer changed meanwhile is a Conflict, thrown
 * before the revisions are written.
 */
export async function storeScenarioVersions(db: Executor, prepared: PreparedVersions): Promise<void> {
  for (const { columns, rows } of prepared.updates) {
    const updated = await updateGuarded(db, {
      table: 'scenarios',
      key: { name: 'id', type: 'integer' },
      guard: { name: 'revision', type: 'integer' },
      set: columns.map((name) => ({ name, type: INTEGER_COLUMNS.has(name) ? 'integer' : 'text' })),
      rows,
      constants: prepared.constants,
    });
    const lost = rows.filter((r) => !updated.has(r[0]));
    if (lost.length) {
      const ids = lost.map((r) => r[0]).join(', ');
      throw new Conflict(`${lost.length === 1 ? `Scenario ${ids} was` : `Scenarios ${ids} were`} changed by another request; read again and retry.`, {
        conflicts: lost.map((r) => ({ scenario_id: r[0], based_on_revision: r[1] })),
      });
    }
  }
  await insertRows(db, 'scenario_revisions', REVISION_COLUMNS, prepared.revisions);
}

/** Scenarios diffed and serialized between two turns of the event loop: a millisecond or two of work. */
const WRITES_PER_TURN = 50;

/**
 * Brings back a deleted scenario under its old id with the content it had, as the revision after
 * the one it was deleted at (undoing a changeset that deleted it).
 */
export async function restoreScenario(
  db: Executor,
  organizationId: number,
  actor: Actor,
  restore: { id: number; projectId: number; fields: ScenarioFields; revision: number; reason: string },
  now: string,
): Promise<Row<'scenarios'>> {
  return insertScenario(
    db,
    organizationId,
    actor,
    { id: restore.id, projectId: restore.projectId, revision: restore.revision },
    restore.fields,
    { type: 'revert', reason: restore.reason },
    now,
  );
}

export async function deleteScenario(db: Executor, organizationId: number, id: number): Promise<void> {
  await getScenario(db, organizationId, id);
  await db.deleteFrom('scenario_revisions').where('scenario_id', '=', id).execute();
  await db.deleteFrom('scenarios').where('id', '=', id).where('organization_id', '=', organizationId).execute();
}

export async function deleteScenarios(db: Executor, organizationId: number, ids: number[]): Promise<number> {
  let n = 0;
  for (let i = 0; i < ids.length; i += CHUNK) {
    const part = ids.slice(i, i + CHUNK);
    const owned = await db.selectFrom('scenarios').select('id').where('organization_id', '=', organizationId).where('id', 'in', part).execute();
    const own = owned.map((r) => r.id);
    if (!own.length) continue;
    await db.deleteFrom('scenario_revisions').where('scenario_id', 'in', own).execute();
    n += Number((await db.deleteFrom('scenarios').where('id', 'in', own).executeTakeFirst()).numDeletedRows);
  }
  return n;
}

/** Loads the organization's scenarios with these ids (any order), in chunks so thousands stay cheap. */
export async function loadScenarios(db: Executor, organizationId: number, ids: number[]): Promise<Row<'scenarios'>[]> {
  const out: Row<'scenarios'>[] = [];
  const unique = [...new Set(ids)];
  const chunk = idsPerRead(db);
  for (let i = 0; i < unique.length; i += chunk) {
    if (i) await yieldToEventLoop();
    out.push(
      ...(await db
        .selectFrom('scenarios')
        .selectAll()
        .where('organization_id', '=', organizationId)
        .where('id', 'in', unique.slice(i, i + chunk))
        .execute()),
    );
  }
  return out.sort((a, b) => a.id - b.id);
}

export interface ScenarioFilter {
  projectId?: number;
  agentId?: number;
  assistantId?: string;
  tags?: string[];
  tagFilterType?: 'and' | 'or' | 'not';
  folderPath?: string;
  search?: string;
}

function matchesTags(tags: string[], wanted: string[], mode: 'and' | 'or' | 'not'): boolean {
  if (!wanted.length) return true;
  const have = new Set(tags);
  if (mode === 'and') return wanted.every((t) => have.has(t));
  if (mode === 'not') return !wanted.some((t) => have.has(t));
  return wanted.some((t) => have.has(t));
}

export async function listScenarios(
  db: Executor,
  organizationId: number,
  filter: ScenarioFilter,
  page: { offset: number; limit: number },
): Promise<{ count: number; rows: Row<'scenarios'>[] }> {
  let q = db.selectFrom('scenarios').where('scenarios.organization_id', '=', organizationId);
  if (filter.projectId !== undefined) q = q.where('project_id', '=', filter.projectId);
  if (filter.agentId !== undefined) q = q.where('agent_id', '=', filter.agentId);
  if (filter.assistantId !== undefined) {
    const aid = filter.assistantId;
    q = q.where('agent_id', 'in', (eb) => eb.selectFrom('aiagents').select('id').where('organization_id', '=', organizationId).where('assistant_id', '=', aid));
  }
  if (filter.folderPath !== undefined) q = filter.folderPath === '' ? q.where('folder_path', 'is', null) : q.where('folder_path', '=', filter.folderPath);
  if (filter.search) q = q.where(containsText('name', filter.search));
  if (filter.tags?.length) {
    // Tags live in a JSON text column; filtering them in SQL would differ per dialect, so it happens here.
    const all = await q.selectAll().orderBy('id').execute();
    const hits = all.filter((r) => matchesTags(JSON.parse(r.tags), filter.tags!, filter.tagFilterType ?? 'or'));
    return { count: hits.length, rows: hits.slice(page.offset, page.offset + page.limit) };
  }
  const { n } = await q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  const rows = await q.selectAll().orderBy('id').offset(page.offset).limit(page.limit).execute();
  return { count: Number(n), rows };
}

export function listRevisions(
  db: Executor,
  organizationId: number,
  scenarioId: number,
  page: { offset: number; limit: number },
): Promise<Row<'scenario_revisions'>[]> {
  return db
    .selectFrom('scenario_revisions')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .where('scenario_id', '=', scenarioId)
    .orderBy('revision', 'desc')
    .offset(page.offset)
    .limit(page.limit)
    .execute();
}

export async function countRevisions(db: Executor, organizationId: number, scenarioId: number): Promise<number> {
  const { n } = await db
    .selectFrom('scenario_revisions')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('organization_id', '=', organizationId)
    .where('scenario_id', '=', scenarioId)
    .executeTakeFirstOrThrow();
  return Number(n);
}

/**
 * Restores the content a revision recorded, as a new revision. References that no longer exist
 * (a deleted folder, tool or personality) make the revert a 400 rather than a broken scenario.
 */
export async function revertScenario(
  db: Executor,
  organizationId: number,
  actor: Actor,
  scenarioId: number,
  target: { revision?: number; revisionId?: number },
  now: string,
): Promise<Row<'scenarios'>> {
  const current = await getScenario(db, organizationId, scenarioId);
  let q = db.selectFrom('scenario_revisions').selectAll().where('organization_id', '=', organizationId).where('scenario_id', '=', scenarioId);
  q = target.revisionId !== undefined ? q.where('id', '=', target.revisionId) : q.where('revision', '=', target.revision ?? -1);
  const rev = await q.executeTakeFirst();
  const field = target.revisionId !== undefined ? 'history_id' : 'revision';
  if (!rev) throw ValidationError.field(field, `Scenario ${scenarioId} has no such revision.`);
  const snapshot = { ...EMPTY_SCENARIO, ...(JSON.parse(rev.snapshot) as Partial<ScenarioFields>) } as ScenarioFields;
  const set = diffScenarioFields(scenarioFieldsOf(current), snapshot);
  const changedOnly = Object.fromEntries(Object.entries(set).map(([k, v]) => [k, v!.new])) as Partial<ScenarioFields>;
  const errors = await checkScenarioWrite(db, organizationId, current.project_id, snapshot, changedOnly);
  errors.throwIfAny();
  return writeMerged(db, actor, current, snapshot, { now, changeType: 'revert', reason: `Reverted to revision ${rev.revision}.` });
}
