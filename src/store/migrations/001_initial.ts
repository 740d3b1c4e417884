import type { CreateTableBuilder, Kysely } from 'kysely';
import type { DialectName } from '../dialect.js';

type Table = CreateTableBuilder<string, never>;

/** The first schema: every table the service needs, identical on SQLite and PostgreSQL. */
export function initial(dialect: DialectName) {
  const withId = (t: Table): Table =>
    dialect === 'postgres' ? t.addColumn('id', 'serial', (c) => c.primaryKey()) : t.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());
  const ref =
    (table: string, onDelete: 'cascade' | 'set null' = 'cascade') =>
    (c: any) =>
      c.references(`${table}.id`).onDelete(onDelete);
  const times = (t: Table): Table => t.addColumn('created_at', 'text', (c) => c.notNull()).addColumn('updated_at', 'text', (c) => c.notNull());
  const text = (c: any) => c.notNull().defaultTo('');

  return {
    async up(db: Kysely<any>): Promise<void> {
      await withId(db.schema.createTable('organizations'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();

      await withId(db.schema.createTable('api_keys'))
        .addColumn('organization_id', 'integer', (c) => ref('organizations')(c).notNull())
        .addColumn('name', 'text', text)
        .addColumn('prefix', 'text', (c) => c.notNull())
        .addColumn('key_hash', 'text', (c) => c.notNull().unique())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('revoked_at', 'text')
        .execute();

      await times(
        withId(db.schema.createTable('projects'))
          .addColumn('organization_id', 'integer', (c) => ref('organizations')(c).notNull())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('description', 'text', text)
          .addColumn('max_call_duration', 'integer'),
      ).execute();

      await times(
        withId(db.schema.createTable('aiagents'))
          .addColumn('organization_id', 'integer', (c) => ref('organizations')(c).notNull())
          .addColumn('project_id', 'integer', (c) => ref('projects')(c).notNull())
          .addColumn('agent_name', 'text', (c) => c.notNull())
          .addColumn('description', 'text', text)
          .addColumn('language', 'text', (c) => c.notNull().defaultTo('en'))
          .addColumn('inbound', 'integer', (c) => c.notNull().defaultTo(1))
          .addColumn('assistant_id', 'text'),
      ).execute();

      await times(
        withId(db.schema.createTable('personalities'))
          .addColumn('organization_id', 'integer', (c) => ref('organizations')(c).notNull())
          .addColumn('project_id', 'integer', ref('projects'))
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('description', 'text', text)
          .addColumn('prompt', 'text', text)
          .addColumn('language', 'text', (c) => c.notNull().defaultTo('en'))
          .addColumn('accent', 'text', text)
          .addColumn('is_predefined', 'integer', (c) => c.notNull().defaultTo(0)),
      ).execute();

      await times(
        withId(db.schema.createTable('test_profiles'))
          .addColumn('organization_id', 'integer', (c) => ref('organizations')(c).notNull())
          .addColumn('project_id', 'integer', ref('projects'))
          .addColumn('agent_id', 'integer', ref('aiagents'))
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('information', 'text', (c) => c.notNull().defaultTo('{}'))
          .addColumn('created_by', 'integer')
          .addColumn('last_updated_by', 'integer'),
      ).execute();

      await times(
        withId(db.schema.createTable('metrics'))
          .addColumn('organization_id', 'integer', (c) => ref('organizations')(c).notNull())
          .addColumn('project_id', 'integer', ref('projects'))
          .addColumn('agent_id', 'integer', ref('aiagents', 'set null'))
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('description', 'text', text),
      ).execute();

      await times(
        withId(db.schema.createTable('knowledge_base_files'))
          .addColumn('organization_id', 'integer', (c) => ref('organizations')(c).notNull())
          .addColumn('project_id', 'integer', ref('projects'))
          .addColumn('agent_id', 'integer', ref('aiagents'))
          .addColumn('file_name', 'text', (c) => c.notNull())
          .addColumn('file_type', 'text', (c) => c.notNull())
          .addColumn('file_size', 'integer', (c) => c.notNull())
          .addColumn('text', 'text', text),
      ).execute();

      await withId(db.schema.createTable('tools'))
        .addColumn('organization_id', 'integer', (c) => ref('organizations')(c).notNull())
        .addColumn('project_id', 'integer', ref('projects'))
        .addColumn('tool_id', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('description', 'text', text)
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('tools_org_tool_id', ['organization_id', 'tool_id'])
        .execute();

      await times(
        withId(db.schema.createTable('folders'))
          .addColumn('organization_id', 'integer', (c) => ref('organizations')(c).notNull())
          .addColumn('project_id', 'integer', (c) => ref('projects')(c).notNull())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('path', 'text', (c) => c.notNull())
          .addColumn('parent_path', 'text')
          .addUniqueConstraint('folders_project_path', ['project_id', 'path']),
      ).execute();

      await times(
        withId(db.schema.createTable('scenarios'))
          .addColumn('organization_id', 'integer', (c) => ref('organizations')(c).notNull())
          .addColumn('project_id', 'integer', (c) => ref('projects')(c).notNull())
          .addColumn('agent_id', 'integer', ref('aiagents', 'set null'))
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('personality_id', 'integer', (c) => c.notNull())
          .addColumn('tags', 'text', (c) => c.notNull().defaultTo('[]'))
          .addColumn('tool_ids', 'text', (c) => c.notNull().defaultTo('[]'))
          .addColumn('metrics', 'text', (c) => c.notNull().defaultTo('[]'))
          .addColumn('first_message', 'text', text)
          .addColumn('inbound_phone_number', 'integer')
          .addColumn('instructions', 'text', text)
          .addColumn('conditional_actions', 'text')
          .addColumn('simulation_description', 'text', text)
          .addColumn('information_fields', 'text', (c) => c.notNull().defaultTo('{}'))
          .addColumn('expected_outcome_prompt', 'text', text)
          .addColumn('scenario_language', 'text', (c) => c.notNull().defaultTo('en'))
          .addColumn('scenario_type', 'text', (c) => c.notNull().defaultTo('instruction'))
          .addColumn('suite_type', 'text', (c) => c.notNull().defaultTo('undefined'))
          .addColumn('is_predefined', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('test_profile_id', 'integer', ref('test_profiles', 'set null'))
          .addColumn('dynamic_variable_values', 'text')
          .addColumn('generated_mock_tool_entries', 'text')
          .addColumn('folder_path', 'text')
          .addColumn('max_duration', 'integer')
          .addColumn('revision', 'integer', (c) => c.notNull().defaultTo(1))
          .addColumn('created_by', 'integer')
          .addColumn('last_updated_by', 'integer'),
      ).execute();

      await withId(db.schema.createTable('scenario_revisions'))
        .addColumn('organization_id', 'integer', (c) => ref('organizations')(c).notNull())
        .addColumn('scenario_id', 'integer', (c) => ref('scenarios')(c).notNull())
        .addColumn('revision', 'integer', (c) => c.notNull())
        .addColumn('change_type', 'text', (c) => c.notNull())
        .addColumn('changed_fields', 'text', (c) => c.notNull())
        .addColumn('snapshot', 'text', (c) => c.notNull())
        .addColumn('actor_key_id', 'integer')
        .addColumn('actor', 'text', text)
        .addColumn('reason', 'text', text)
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('scenario_revisions_scenario_revision', ['scenario_id', 'revision'])
        .execute();

      await times(
        withId(db.schema.createTable('sessions'))
          .addColumn('organization_id', 'integer', (c) => ref('organizations')(c).notNull())
          .addColumn('project_id', 'integer', ref('projects'))
          .addColumn('title', 'text', text)
          .addColumn('scenario_ids', 'text', (c) => c.notNull().defaultTo('[]'))
          .addColumn('status', 'text', (c) => c.notNull().defaultTo('pending'))
          .addColumn('created_by', 'integer'),
      ).execute();

      await withId(db.schema.createTable('session_messages'))
        .addColumn('session_id', 'integer', (c) => ref('sessions')(c).notNull())
        .addColumn('job_id', 'integer')
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('content', 'text', text)
        .addColumn('tool_calls', 'text', (c) => c.notNull().defaultTo('[]'))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();

      await times(
        withId(db.schema.createTable('jobs'))
          .addColumn('progress_id', 'text', (c) => c.notNull().unique())
          .addColumn('organization_id', 'integer', (c) => ref('organizations')(c).notNull())
          .addColumn('project_id', 'integer', ref('projects', 'set null'))
          .addColumn('session_id', 'integer', ref('sessions', 'set null'))
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('mode', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('request', 'text', (c) => c.notNull())
          .addColumn('result', 'text')
          .addColumn('error', 'text')
          .addColumn('progress_done', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('progress_total', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('usage', 'text', (c) => c.notNull().defaultTo('{}'))
          .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('max_attempts', 'integer', (c) => c.notNull().defaultTo(3))
          .addColumn('lease_owner', 'text')
          .addColumn('lease_expires_at', 'text')
          .addColumn('cancel_requested', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('created_by', 'integer')
          .addColumn('started_at', 'text')
          .addColumn('finished_at', 'text'),
      ).execute();

      const indexes: Array<[string, string, string[]]> = [
        ['api_keys', 'api_keys_org', ['organization_id']],
        ['projects', 'projects_org', ['organization_id']],
        ['aiagents', 'aiagents_project', ['project_id']],
        ['personalities', 'personalities_org', ['organization_id']],
        ['test_profiles', 'test_profiles_project', ['project_id']],
        ['metrics', 'metrics_project', ['project_id']],
        ['knowledge_base_files', 'kb_files_project', ['project_id']],
        ['scenarios', 'scenarios_project', ['project_id', 'id']],
        ['scenarios', 'scenarios_agent', ['agent_id', 'id']],
        ['scenarios', 'scenarios_org', ['organization_id', 'id']],
        ['scenario_revisions', 'scenario_revisions_scenario', ['scenario_id', 'id']],
        ['sessions', 'sessions_project', ['project_id', 'id']],
        ['session_messages', 'session_messages_session', ['session_id', 'id']],
        ['jobs', 'jobs_status_lease', ['status', 'lease_expires_at']],
        ['jobs', 'jobs_session', ['session_id', 'id']],
      ];
      for (const [table, name, columns] of indexes) {
        await db.schema.createIndex(name).on(table).columns(columns).execute();
      }
    },
  };
}
