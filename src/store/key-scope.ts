import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';
import {
  AliasNode,
  AndNode,
  ColumnNode,
  type DeleteQueryNode,
  IdentifierNode,
  InsertQueryNode,
  JoinNode,
  type KyselyPlugin,
  ListNode,
  type OperationNode,
  OperationNodeTransformer,
  ParensNode,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  PrimitiveValueListNode,
  type QueryResult,
  type RootOperationNode,
  type SelectQueryNode,
  sql,
  TableNode,
  type UnknownRow,
  type UpdateQueryNode,
  ValueListNode,
  ValueNode,
  ValuesNode,
  WhereNode,
} from 'kysely';
import { NotFound, ValidationError } from '../domain/errors.js';
import type { Database } from './schema.js';

/**
 * A key limited to one project reaches nothing outside it, whatever route or use-case runs: every
 * query made while a request of such a key is served is narrowed here, in the store, to the rows of
 * that project (and the organization-wide rows every project shares, such as predefined
 * personalities). A row of another project reads as missing, exactly like another organization's,
 * and a write that would put a row into another project is refused. Nothing has to remember a field.
 */

/** How a table's rows belong to a project: by a column of their own, or through the parent row they hang off. */
type Ownership =
  | { column: 'id' | 'project_id' /** Rows with no project belong to the whole organization. */; shared: boolean }
  | { parent: keyof Database; via: string };

export const PROJECT_OWNED = {
  projects: { column: 'id', shared: false },
  aiagents: { column: 'project_id', shared: false },
  folders: { column: 'project_id', shared: false },
  scenarios: { column: 'project_id', shared: false },
  changesets: { column: 'project_id', shared: false },
  webhooks: { column: 'project_id', shared: false },
  personalities: { column: 'project_id', shared: true },
  test_profiles: { column: 'project_id', shared: true },
  metrics: { column: 'project_id', shared: true },
  knowledge_base_files: { column: 'project_id', shared: true },
  tools: { column: 'project_id', shared: true },
  sessions: { column: 'project_id', shared: true },
  jobs: { column: 'project_id', shared: true },
  scenario_revisions: { parent: 'scenarios', via: 'scenario_id' },
  session_messages: { parent: 'sessions', via: 'session_id' },
  changeset_items: { parent: 'changesets', via: 'changeset_id' },
  webhook_deliveries: { parent: 'webhooks', via: 'webhook_id' },
  job_batches: { parent: 'jobs', via: 'job_id' },
} as const satisfies Partial<Record<keyof Database, Ownership>>;
type ScopedTable = keyof typeof PROJECT_OWNED;

/** Tables no project owns: the organization's own rows, its keys, and the process's settings. */
export const NOT_PROJECT_OWNED = ['organizations', 'api_keys', 'settings'] as const satisfies ReadonlyArray<Exclude<keyof Database, ScopedTable>>;

const scopes = new AsyncLocalStorage<{ projectId: number }>();

/** The project the current work is limited to, if any. */
export const currentProjectScope = (): number | undefined => scopes.getStore()?.projectId;

/** Runs `fn` (and everything it starts) limited to one project. */
export const withProjectScope = <T>(projectId: number, fn: () => T): T => scopes.run({ projectId }, fn);

/**
 * Runs `fn` outside any project scope: for work a request starts but that is not the request's own
 * (a job runner, a shared listener), which must not inherit the request's key.
 */
export const outsideProjectScope = <T>(fn: () => T): T => scopes.exit(fn);

/** A callback that runs in the scope of whoever made it, wherever it is called from (an event another request emits). */
export const boundToCurrentScope = <A extends unknown[], R>(fn: (...args: A) => R): ((...args: A) => R) => AsyncResource.bind(fn);

const isScoped = (name: string): name is ScopedTable => Object.hasOwn(PROJECT_OWNED, name);

/**
 * The condition that narrows `ref` (the table's name or alias in the query) to the project. Reads
 * also see the rows the whole organization shares; writes change only the project's own.
 */
function narrowing(table: ScopedTable, ref: string, projectId: number, write: boolean): OperationNode {
  const own: Ownership = PROJECT_OWNED[table];
  if ('parent' in own) {
    const parent = PROJECT_OWNED[own.parent as ScopedTable] as Extract<Ownership, { column: string }>;
    const column = sql.ref(`scope_parent.${parent.column}`);
    const inParent = parent.shared && !write ? sql`(${column} = ${projectId} or ${column} is null)` : sql`${column} = ${projectId}`;
    return sql`${sql.ref(`${ref}.${own.via}`)} in (select scope_parent.id from ${sql.table(own.parent)} as scope_parent where ${inParent})`.toOperationNode();
  }
  const column = sql.ref(`${ref}.${own.column}`);
  return (own.shared && !write ? sql`(${column} = ${projectId} or ${column} is null)` : sql`${column} = ${projectId}`).toOperationNode();
}

/** The scoped tables a FROM, JOIN or UPDATE names directly, with how the query refers to each. */
function tablesOf(node: OperationNode | undefined): Array<{ table: ScopedTable; ref: string }> {
  if (!node) return [];
  if (ListNode.is(node)) return node.items.flatMap(tablesOf);
  if (TableNode.is(node)) {
    const name = node.table.identifier.name;
    return isScoped(name) ? [{ table: name, ref: name }] : [];
  }
  if (AliasNode.is(node) && TableNode.is(node.node) && IdentifierNode.is(node.alias)) {
    const name = node.node.table.identifier.name;
    return isScoped(name) ? [{ table: name, ref: node.alias.name }] : [];
  }
  return [];
}

const and = (where: WhereNode | undefined, conditions: OperationNode[]): WhereNode | undefined => {
  if (!conditions.length) return where;
  const all = conditions.reduce((a, b) => AndNode.create(a, b));
  // The query's own condition in parentheses: an `or` in it must not swallow the narrowing.
  return WhereNode.create(where ? AndNode.create(ParensNode.create(where.where), all) : all);
};

/** A value the query writes, when it is a plain parameter. */
const plainValue = (node: OperationNode): { value: unknown } | null => (ValueNode.is(node) ? { value: node.value } : null);

class ScopeTransformer extends OperationNodeTransformer {
  constructor(readonly projectId: number) {
    super();
  }

  #conditions(tables: Array<{ table: ScopedTable; ref: string }>, write = false): OperationNode[] {
    return tables.map((t) => narrowing(t.table, t.ref, this.projectId, write));
  }

  /** Joined tables are narrowed in their ON, so a left join still keeps the rows it joins nothing to. */
  #joins(joins: ReadonlyArray<JoinNode> | undefined): ReadonlyArray<JoinNode> | undefined {
    return joins?.map((j) => {
      const conditions = this.#conditions(tablesOf(j.table));
      if (!conditions.length) return j;
      const extra = conditions.reduce((a, b) => AndNode.create(a, b));
      return j.on ? JoinNode.cloneWithOn(j, extra) : JoinNode.createWithOn(j.joinType, j.table, extra);
    });
  }

  /** The project column a write sets on `table`, when the table has one of its own. */
  #projectColumn(table: ScopedTable): string | null {
    const own: Ownership = PROJECT_OWNED[table];
    return 'parent' in own ? null : own.column;
  }

  /** A project id a write sets must be the scope's: another project's reads as missing; none would share the row with every project. */
  #checkWritten(value: unknown): void {
    if (value === this.projectId) return;
    if (value === null) throw ValidationError.field('project', `This key is limited to project ${this.projectId}: what it writes stays in that project.`);
    throw new NotFound();
  }

  protected override transformSelectQuery(node: SelectQueryNode): SelectQueryNode {
    const out = super.transformSelectQuery(node);
    const conditions = this.#conditions(tablesOf(out.from ? ListNode.create(out.from.froms) : undefined));
    return { ...out, joins: this.#joins(out.joins), where: and(out.where, conditions) };
  }

  protected override transformUpdateQuery(node: UpdateQueryNode): UpdateQueryNode {
    const out = super.transformUpdateQuery(node);
    const [target] = tablesOf(out.table);
    const column = target ? this.#projectColumn(target.table) : null;
    for (const u of out.updates ?? []) {
      if (!column || !ColumnNode.is(u.column) || u.column.column.name !== column) continue;
      // A project id computed in SQL is not something a request can send; a plain one is checked.
      const written = plainValue(u.value);
      if (written) this.#checkWritten(written.value);
    }
    const conditions = [...this.#conditions(tablesOf(out.table), true), ...this.#conditions(tablesOf(out.from ? ListNode.create(out.from.froms) : undefined))];
    return { ...out, joins: this.#joins(out.joins), where: and(out.where, conditions) };
  }

  protected override transformDeleteQuery(node: DeleteQueryNode): DeleteQueryNode {
    const out = super.transformDeleteQuery(node);
    const conditions = this.#conditions(tablesOf(ListNode.create(out.from.froms)), true);
    return { ...out, joins: this.#joins(out.joins), where: and(out.where, conditions) };
  }

  /**
   * A row the key inserts goes into its project: one with no project (which would be the whole
   * organization's) is given it, one naming another project is refused. A key so limited creates no project.
   */
  protected override transformInsertQuery(node: InsertQueryNode): InsertQueryNode {
    const out = super.transformInsertQuery(node);
    const [target] = tablesOf(out.into);
    if (!target) return out;
    if (target.table === 'projects')
      throw ValidationError.field('non_field_errors', `This key is limited to project ${this.projectId}; it cannot create projects.`);
    const column = this.#projectColumn(target.table);
    if (!column || !out.values || !ValuesNode.is(out.values)) return out;
    const columns = (out.columns ?? []).map((c) => c.column.name);
    const at = columns.indexOf(column);
    const rows = out.values.values.map((row) => {
      const values: OperationNode[] = PrimitiveValueListNode.is(row) ? row.values.map((v) => ValueNode.create(v)) : [...(row as ValueListNode).values];
      if (at < 0) return ValueListNode.create([...values, ValueNode.create(this.projectId)]);
      const written = plainValue(values[at]!);
      if (written && written.value === null) values[at] = ValueNode.create(this.projectId);
      else if (written) this.#checkWritten(written.value);
      return ValueListNode.create(values);
    });
    return InsertQueryNode.cloneWith(out, {
      columns: at < 0 ? [...(out.columns ?? []), ColumnNode.create(column)] : out.columns,
      values: ValuesNode.create(rows),
    });
  }
}

/** The Kysely plugin that narrows every query to the current project scope; without one it changes nothing. */
export class ProjectScopePlugin implements KyselyPlugin {
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    const projectId = currentProjectScope();
    return projectId === undefined ? args.node : (new ScopeTransformer(projectId).transformNode(args.node) as RootOperationNode);
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
}
