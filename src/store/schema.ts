import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

/**
 * One row shape for both dialects: JSON is stored as text, booleans as 0/1 integers and times as
 * ISO-8601 text, so no query has to ask which database it runs on.
 */
type Id = Generated<number>;
type Json = string;
type Bool = number;
type Time = string;

export interface OrganizationsTable {
  id: Id;
  name: string;
  created_at: Time;
}

export interface ApiKeysTable {
  id: Id;
  organization_id: number;
  name: string;
  prefix: string;
  key_hash: string;
  created_at: Time;
  revoked_at: Time | null;
  /** The one project the key may reach; null: every project of its organization. */
  project_id: number | null;
  last_used_at: Time | null;
}

export interface ProjectsTable {
  id: Id;
  organization_id: number;
  name: string;
  description: string;
  max_call_duration: number | null;
  /** USD a month for model calls; null: no budget. */
  monthly_budget: number | null;
  /** Documented fields kept without behaviour (JSON object; see migration 020). */
  documented: ColumnType<Json, Json | undefined, Json>;
  created_at: Time;
  updated_at: Time;
}

export interface AiagentsTable {
  id: Id;
  organization_id: number;
  project_id: number;
  agent_name: string;
  description: string;
  language: string;
  inbound: Bool;
  assistant_id: string | null;
  /** Documented fields kept without behaviour (JSON object; see migration 020). */
  documented: ColumnType<Json, Json | undefined, Json>;
  created_at: Time;
  updated_at: Time;
}

export interface PersonalitiesTable {
  id: Id;
  organization_id: number;
  project_id: number | null;
  name: string;
  description: string;
  prompt: string;
  language: string;
  accent: string;
  is_predefined: Bool;
  /** Documented fields kept without behaviour (JSON object; see migration 020). */
  documented: ColumnType<Json, Json | undefined, Json>;
  created_at: Time;
  updated_at: Time;
}

export interface TestProfilesTable {
  id: Id;
  organization_id: number;
  project_id: number | null;
  agent_id: number | null;
  name: string;
  information: Json;
  created_by: number | null;
  last_updated_by: number | null;
  created_at: Time;
  updated_at: Time;
}

export interface MetricsTable {
  id: Id;
  organization_id: number;
  project_id: number | null;
  agent_id: number | null;
  name: string;
  description: string;
  /** Documented fields kept without behaviour (JSON object; see migration 020). */
  documented: ColumnType<Json, Json | undefined, Json>;
  created_at: Time;
  updated_at: Time;
}

export interface KnowledgeBaseFilesTable {
  id: Id;
  organization_id: number;
  project_id: number | null;
  agent_id: number | null;
  file_name: string;
  file_type: string;
  file_size: number;
  /** Hex SHA-256 of the uploaded bytes; null for files uploaded before it was kept. */
  content_sha256: string | null;
  text: string;
  created_at: Time;
  updated_at: Time;
}

/** Organization-defined tools, beside the predefined TOOL_* ids. */
export interface ToolsTable {
  id: Id;
  organization_id: number;
  project_id: number | null;
  tool_id: string;
  name: string;
  description: string;
  created_at: Time;
}

export interface FoldersTable {
  id: Id;
  organization_id: number;
  project_id: number;
  name: string;
  path: string;
  parent_path: string | null;
  created_at: Time;
  updated_at: Time;
}

export interface ScenariosTable {
  id: Id;
  organization_id: number;
  project_id: number;
  agent_id: number | null;
  name: string;
  personality_id: number;
  tags: Json;
  tool_ids: Json;
  metrics: Json;
  first_message: string;
  inbound_phone_number: number | null;
  instructions: string;
  conditional_actions: Json | null;
  simulation_description: string;
  information_fields: Json;
  expected_outcome_prompt: string;
  scenario_language: string;
  scenario_type: string;
  suite_type: string;
  is_predefined: Bool;
  test_profile_id: number | null;
  dynamic_variable_values: Json | null;
  generated_mock_tool_entries: Json | null;
  folder_path: string | null;
  max_duration: number | null;
  /** Bumped by every write; a suggestion records the revision it was based on. */
  revision: number;
  created_by: number | null;
  last_updated_by: number | null;
  created_at: Time;
  updated_at: Time;
}

export interface ScenarioRevisionsTable {
  id: Id;
  organization_id: number;
  scenario_id: number;
  revision: number;
  change_type: string;
  /** `{ field: { old, new } }` for the fields this write changed. */
  changed_fields: Json;
  /** The scenario's writable fields after this write, so any revision can be restored. */
  snapshot: Json;
  actor_key_id: number | null;
  actor: string;
  reason: string;
  created_at: Time;
  /** The job whose suggestions this write applied (its progress_id); null for any other write. */
  source_progress_id: string | null;
  /** The fields whose applied value the reviewer corrected before applying, as a JSON list; null when none. */
  edited_fields: string | null;
}

export interface SessionsTable {
  id: Id;
  organization_id: number;
  project_id: number | null;
  title: string;
  scenario_ids: Json;
  status: string;
  created_by: number | null;
  created_at: Time;
  updated_at: Time;
}

export interface SessionMessagesTable {
  id: Id;
  session_id: number;
  job_id: number | null;
  role: string;
  content: string;
  tool_calls: Json;
  created_at: Time;
}

export interface JobsTable {
  id: Id;
  progress_id: string;
  organization_id: number;
  project_id: number | null;
  session_id: number | null;
  kind: string;
  mode: string;
  status: string;
  request: Json;
  result: Json | null;
  error: string | null;
  progress_done: number;
  progress_total: number;
  usage: Json;
  attempts: number;
  max_attempts: number;
  lease_owner: string | null;
  lease_expires_at: Time | null;
  cancel_requested: Bool;
  created_by: number | null;
  created_at: Time;
  updated_at: Time;
  started_at: Time | null;
  finished_at: Time | null;
  /** What a reviewer did with the suggestions: to_review, applied, partly_applied, discarded; null for jobs that suggest nothing. */
  review_state: string | null;
  /** How many suggestions (scenarios and drafts) the job left to review. */
  review_count: number | null;
  /** The progress_id of the apply job that applied the suggestions. */
  applied_by: string | null;
  /** Why the last attempt failed, while the job may still be retried. */
  last_error: string | null;
  /** Why a failed job failed (domain/job-failure.ts), so a client knows whether sending it again may work. */
  failure_kind: string | null;
}

/** One bulk write to scenarios, undoable as a whole (see migrations/071_changesets.ts). */
export interface ChangesetsTable {
  id: Id;
  organization_id: number;
  project_id: number;
  kind: string;
  summary: string;
  actor_key_id: number | null;
  actor: string;
  job_id: number | null;
  session_id: number | null;
  reverts_changeset_id: number | null;
  scenario_count: number;
  /** The scenario fields any item changed, sorted. */
  fields: Json;
  created_at: Time;
}

export interface ChangesetItemsTable {
  id: Id;
  changeset_id: number;
  organization_id: number;
  scenario_id: number;
  /** `update`, `create` or `delete`. */
  action: string;
  fields: Json;
  /**
   * The scenario's fields before the write (null for a create) and after it (null for a delete): the
   * whole content for a create or a delete, the name and the changed fields for an update.
   */
  before: Json | null;
  before_revision: number | null;
  after: Json | null;
  after_revision: number | null;
  /** The changeset that undid this item, once one did. */
  reverted_by: number | null;
}

export interface WebhooksTable {
  id: Id;
  organization_id: number;
  project_id: number;
  url: string;
  /** The event names it receives, as a JSON list. */
  events: Json;
  /** The signing secret (`whsec_…`): shown once when created, needed to sign every delivery. */
  secret: string;
  enabled: Bool;
  description: string;
  created_at: Time;
  updated_at: Time;
}

export interface WebhookDeliveriesTable {
  id: Id;
  organization_id: number;
  webhook_id: number;
  /** The `webhook-id` header: the same on every retry, so a receiver can drop duplicates. */
  message_id: string;
  event: string;
  payload: Json;
  /** `pending` (to be tried at next_attempt_at), `delivered`, or `failed` (given up). */
  status: string;
  attempts: number;
  next_attempt_at: Time;
  give_up_at: Time;
  /** A sender holds a delivery until then, so two workers never send it at once. */
  lease_until: Time | null;
  last_status_code: number | null;
  last_latency_ms: number | null;
  last_error: string | null;
  created_at: Time;
  delivered_at: Time | null;
}

/** A batch a job finished, kept until the job ends (see migrations/080_job_batches.ts). */
export interface JobBatchesTable {
  id: Id;
  job_id: number;
  batch_key: string;
  attempt: number;
  units: number;
  outcome: Json;
  usage: Json;
  created_at: Time;
}

export interface SettingsTable {
  key: string;
  value: string;
  created_at: Time;
}

export interface Database {
  settings: SettingsTable;
  organizations: OrganizationsTable;
  api_keys: ApiKeysTable;
  projects: ProjectsTable;
  aiagents: AiagentsTable;
  personalities: PersonalitiesTable;
  test_profiles: TestProfilesTable;
  metrics: MetricsTable;
  knowledge_base_files: KnowledgeBaseFilesTable;
  tools: ToolsTable;
  folders: FoldersTable;
  scenarios: ScenariosTable;
  scenario_revisions: ScenarioRevisionsTable;
  sessions: SessionsTable;
  session_messages: SessionMessagesTable;
  jobs: JobsTable;
  changesets: ChangesetsTable;
  changeset_items: ChangesetItemsTable;
  webhooks: WebhooksTable;
  webhook_deliveries: WebhookDeliveriesTable;
  job_batches: JobBatchesTable;
}

export type Row<T extends keyof Database> = Selectable<Database[T]>;
export type NewRow<T extends keyof Database> = Insertable<Database[T]>;
export type RowUpdate<T extends keyof Database> = Updateable<Database[T]>;
export type { ColumnType };
