// The client's types come from the zod schemas the routes validate and answer with, so the two cannot
// drift. Only types are imported: nothing from the server reaches a browser bundle.
import type { z } from 'zod';
import type { PageQuery } from '../api/pagination.js';
import type { Agent, AgentWrite } from '../api/routes/aiagents.js';
import type { ChangesetDetail as ChangesetDetailShape, ChangesetListQuery, Changeset as ChangesetShape, RevertResult } from '../api/routes/changesets.js';
import type { FilePatch, KbFile, KbFileDetail } from '../api/routes/knowledge-base-files.js';
import type { Metric, MetricWrite } from '../api/routes/metrics.js';
import type { Personality, PersonalityWrite } from '../api/routes/personalities.js';
import type { Project, ProjectWrite } from '../api/routes/projects.js';
import type { CancelBody, CancelResult } from '../api/routes/scenario-agent.js';
import type {
  BulkDelete,
  BulkUpdate,
  Folder,
  FolderCreate,
  FolderQuery,
  History,
  ImportResult,
  Revision,
  ScenarioImport as ScenarioImportShape,
  ListQuery as ScenarioListQueryShape,
} from '../api/routes/scenarios.js';
import type { CreateBody, PatchBody, SessionDetail as SessionDetailShape, SessionListItem } from '../api/routes/sessions.js';
import type { ProfileListItem, ProfileWrite } from '../api/routes/test-profiles.js';
import type { Tool as ToolShape, ToolWrite } from '../api/routes/tools.js';
import type { BulkWritten, ScenarioOut } from '../api/scenario-schema.js';
import type { JobStatus } from '../domain/jobs.js';
import type { ScenarioCreate as ScenarioCreateShape, ScenarioPatch as ScenarioPatchShape } from '../domain/scenario.js';
import type { ScenarioAgentProgress as ProgressShape, ScenarioAgentBody, ScenarioAgentStart } from '../domain/scenario-agent.js';
import type {
  ApplyConflict,
  ApplyResult,
  ClarifyResult,
  FieldChange,
  ImproveResult,
  NotDone,
  ScenarioAgentResult,
  UpdatedScenario,
  ValidationIssue,
} from '../domain/suggestion.js';

/** Query strings: the parsed shape, every key optional (the server fills defaults). */
type Query<T extends z.ZodType> = Partial<z.output<T>>;

export interface Paginated<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}
export type PageParams = Query<typeof PageQuery>;

export type Project = z.infer<typeof Project>;
export type ProjectCreate = z.input<typeof ProjectWrite>;
export type ProjectUpdate = Partial<ProjectCreate>;

export type AiAgent = z.infer<typeof Agent>;
export type AiAgentCreate = z.input<typeof AgentWrite>;
export type AiAgentUpdate = Partial<AiAgentCreate>;
export type AiAgentQuery = PageParams & { project_id?: number; q?: string };

export type Personality = z.infer<typeof Personality>;
export type PersonalityCreate = z.input<typeof PersonalityWrite>;
export type PersonalityUpdate = Partial<PersonalityCreate>;
export type PersonalityQuery = { project_id?: number; language?: string };

export type Scenario = z.infer<typeof ScenarioOut>;
export type ScenarioCreate = z.input<typeof ScenarioCreateShape>;
export type ScenarioPatch = z.input<typeof ScenarioPatchShape>;
export type ScenarioQuery = Query<typeof ScenarioListQueryShape>;
export type ScenarioBulkUpdate = z.input<typeof BulkUpdate>;
/** The first scenario a bulk write covered, with all of them in `results`. */
export type ScenarioBulkWritten = z.infer<typeof BulkWritten>;
export type ScenarioBulkDelete = z.input<typeof BulkDelete>;
export type ScenarioImport = z.input<typeof ScenarioImportShape>;
export type ScenarioImportResult = z.infer<typeof ImportResult>;
export type Folder = z.infer<typeof Folder>;
export type FolderCreate = z.input<typeof FolderCreate>;
export type FolderQuery = Query<typeof FolderQuery> & { project_id: number };
export type Revision = z.infer<typeof Revision>;
export type HistoryItem = z.infer<typeof History>;

export type ScenarioAgentRequest = z.input<typeof ScenarioAgentBody>;
export type ScenarioAgentStart = z.infer<typeof ScenarioAgentStart>;
export type CancelRequest = z.input<typeof CancelBody>;
export type CancelResult = z.infer<typeof CancelResult>;
export type { JobStatus };

export type SessionSummary = z.infer<typeof SessionListItem>;
export type SessionDetail = z.infer<typeof SessionDetailShape>;
export type SessionCreate = z.input<typeof CreateBody>;
export type SessionUpdate = z.input<typeof PatchBody>;

export type KnowledgeBaseFile = z.infer<typeof KbFile>;
export type KnowledgeBaseFileDetail = z.infer<typeof KbFileDetail>;
export type KnowledgeBaseFilePatch = z.input<typeof FilePatch>;
export type Tool = z.infer<typeof ToolShape>;
export type ToolCreate = z.input<typeof ToolWrite>;
export type Metric = z.infer<typeof Metric>;
export type MetricCreate = z.input<typeof MetricWrite>;
export type TestProfile = z.infer<typeof ProfileListItem>;
export type TestProfileCreate = z.input<typeof ProfileWrite>;
export type Changeset = z.infer<typeof ChangesetShape>;
export type ChangesetDetail = z.infer<typeof ChangesetDetailShape>;
export type ChangesetQuery = Partial<z.infer<typeof ChangesetListQuery>>;
export type ChangesetRevert = z.infer<typeof RevertResult>;

// Suggestions and job results: the domain's schemas, the same the jobs store and the routes document.
export type { ApplyConflict, ApplyResult, ClarifyResult, FieldChange, ImproveResult, NotDone, ScenarioAgentResult, UpdatedScenario, ValidationIssue };

/** The progress endpoint's answer; `R` names the result shape of the job polled. */
export type Progress<R = ScenarioAgentResult> = Omit<z.infer<typeof ProgressShape>, 'status' | 'result'> & {
  status: JobStatus;
  result: R | null;
};
