import { ApiError } from './errors.js';
import type * as T from './types.js';
import { followUntilFinal, type WaitOptions } from './wait.js';

export interface ClientOptions {
  /** The server, e.g. `http://127.0.0.1:8000` (the API prefix is added), or a full `…/test_framework/v1` URL. */
  baseUrl: string;
  /** Sent as `X-CEKURA-API-KEY`. */
  apiKey?: string;
  /** A fetch to use instead of the global one (tests, proxies, custom agents). */
  fetch?: typeof fetch;
}

export type QueryValue = string | number | boolean | null | undefined | ReadonlyArray<string | number>;

export interface RequestOptions {
  query?: Record<string, QueryValue>;
  body?: unknown;
  signal?: AbortSignal;
}

/** A file to upload to the knowledge base: its name and its bytes (or text). */
export interface UploadFile {
  name: string;
  content: Uint8Array | string;
}

const API_PREFIX = '/test_framework/v1';

/**
 * A typed client for the Scenarist (Cekura-compatible) API. It only needs `fetch`, so it runs in
 * Node 20+ and in browsers alike. Every refused request throws an `ApiError`.
 *
 * @example
 * const client = new ScenaristClient({ baseUrl: 'http://127.0.0.1:8000', apiKey: 'sk_scn_…' });
 * const { progress_id } = await client.scenarioAgent.improve({ scenarios: 'all', project_id: 1, user_message: 'Add the DTMF tool' });
 * const done = await client.waitFor<ImproveResult>(progress_id, { onProgress: (p) => console.log(p.progress) });
 * await client.scenarioAgent.apply(done.result!.updated_scenarios, { session_id: done.session_id });
 */
export class ScenaristClient {
  readonly apiUrl: string;
  /** The server itself, for the operations outside `/test_framework/v1` (`/user/v1/projects/`, `/test_framework/v2/…`). */
  readonly serverUrl: string;
  readonly #key: string | undefined;
  readonly #fetch: typeof fetch;

  constructor(opts: ClientOptions) {
    const base = opts.baseUrl.replace(/\/+$/, '');
    this.apiUrl = base.endsWith(API_PREFIX) ? base : base + API_PREFIX;
    this.serverUrl = this.apiUrl.slice(0, -API_PREFIX.length);
    this.#key = opts.apiKey;
    this.#fetch = opts.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  /** Any API call; `path` is relative to `/test_framework/v1/` (e.g. `tools/`). Answers the parsed JSON body. */
  async request<R = unknown>(method: string, path: string, opts: RequestOptions = {}): Promise<R> {
    return this.requestAt<R>(method, `${API_PREFIX}/${path.replace(/^\/+/, '')}`, opts);
  }

  /** Any call by its path from the server's root (e.g. `/user/v1/projects/`). Answers the parsed JSON body. */
  async requestAt<R = unknown>(method: string, absolutePath: string, opts: RequestOptions = {}): Promise<R> {
    const url = this.serverUrl + absolutePath + queryString(opts.query);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.#key) headers['X-CEKURA-API-KEY'] = this.#key;
    const init: RequestInit = { method, headers, signal: opts.signal };
    if (opts.body !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(opts.body);
    }
    let res: Response;
    try {
      res = await this.#fetch(url, init);
    } catch (e) {
      if (opts.signal?.aborted) throw opts.signal.reason;
      throw new ApiError(0, e instanceof Error ? ((e.cause as Error | undefined)?.message ?? e.message) : String(e), method, url);
    }
    const text = await res.text();
    let body: unknown = text;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        // Not JSON (a proxy's error page, say): keep the text for the error message.
      }
    } else body = null;
    if (!res.ok) throw new ApiError(res.status, body, method, url);
    return body as R;
  }

  /** Every item of a paginated list, fetching page after page. */
  async *paginate<I>(path: string, query: Record<string, QueryValue> = {}, signal?: AbortSignal): AsyncGenerator<I> {
    for (let page = 1; ; page++) {
      const res = await this.request<T.Paginated<I>>('GET', path, { query: { page_size: 1000, ...query, page }, signal });
      yield* res.results;
      if (!res.next || !res.results.length) return;
    }
  }

  readonly projects = {
    list: (signal?: AbortSignal) => this.request<T.Project[]>('GET', 'projects/', { signal }),
    get: (id: number) => this.request<T.Project>('GET', `projects/${id}/`),
    create: (body: T.ProjectCreate) => this.request<T.Project>('POST', 'projects/', { body }),
    update: (id: number, body: T.ProjectUpdate) => this.request<T.Project>('PATCH', `projects/${id}/`, { body }),
    delete: (id: number) => this.request<null>('DELETE', `projects/${id}/`),
  };

  readonly aiagents = {
    list: (query: T.AiAgentQuery = {}) => this.request<T.Paginated<T.AiAgent>>('GET', 'aiagents/', { query }),
    all: (query: Omit<T.AiAgentQuery, 'page'> = {}) => collect(this.paginate<T.AiAgent>('aiagents/', query)),
    get: (id: number) => this.request<T.AiAgent>('GET', `aiagents/${id}/`),
    create: (body: T.AiAgentCreate) => this.request<T.AiAgent>('POST', 'aiagents/', { body }),
    update: (id: number, body: T.AiAgentUpdate) => this.request<T.AiAgent>('PATCH', `aiagents/${id}/`, { body }),
    delete: (id: number) => this.request<null>('DELETE', `aiagents/${id}/`),
  };

  readonly personalities = {
    list: (query: T.PersonalityQuery = {}) => this.request<T.Personality[]>('GET', 'personalities/', { query }),
    get: (id: number) => this.request<T.Personality>('GET', `personalities/${id}/`),
    create: (body: T.PersonalityCreate) => this.request<T.Personality>('POST', 'personalities/', { body }),
    update: (id: number, body: T.PersonalityUpdate) => this.request<T.Personality>('PATCH', `personalities/${id}/`, { body }),
    delete: (id: number) => this.request<null>('DELETE', `personalities/${id}/`),
  };

  readonly scenarios = {
    list: (query: T.ScenarioQuery = {}) => this.request<T.Paginated<T.Scenario>>('GET', 'scenarios/', { query }),
    /** Every scenario matching the filter, across pages. */
    all: (query: Omit<T.ScenarioQuery, 'page'> = {}) => collect(this.paginate<T.Scenario>('scenarios/', query)),
    get: (id: number) => this.request<T.Scenario>('GET', `scenarios/${id}/`),
    create: (body: T.ScenarioCreate) => this.request<T.Scenario>('POST', 'scenarios/', { body }),
    update: (id: number, body: T.ScenarioPatch) => this.request<T.Scenario>('PATCH', `scenarios/${id}/`, { body }),
    replace: (id: number, body: T.ScenarioCreate) => this.request<T.Scenario>('PUT', `scenarios/${id}/`, { body }),
    delete: (id: number) => this.request<null>('DELETE', `scenarios/${id}/`),
    bulkCreate: (scenarios: T.ScenarioCreate[]) => this.request<T.Scenario[]>('POST', 'scenarios/bulk_create/', { body: { scenarios } }),
    bulkUpdate: (body: T.ScenarioBulkUpdate) => this.request<T.ScenarioBulkWritten>('POST', 'scenarios/adv_update/', { body }),
    bulkDelete: (body: T.ScenarioBulkDelete) => this.request<null>('POST', 'scenarios/delete_scenarios/', { body }),
    /** Creates, updates and deletes scenarios of one project in one transaction, recorded as one changeset. */
    import: (body: T.ScenarioImport) => this.request<T.ScenarioImportResult>('POST', 'scenarios/import/', { body }),
    folders: (query: T.FolderQuery) => this.request<T.Paginated<T.Folder>>('GET', 'scenarios/folders/', { query }),
    createFolder: (body: T.FolderCreate) => this.request<T.Folder>('POST', 'scenarios/create_folder/', { body }),
    revisions: (id: number, query: T.PageParams = {}) => this.request<T.Paginated<T.Revision>>('GET', `scenarios/${id}/revisions/`, { query }),
    /** Restores what a revision recorded; the restore is a new revision. */
    revert: (id: number, revision: number) => this.request<T.Scenario>('POST', `scenarios/${id}/revert/`, { body: { revision } }),
    history: (id: number, query: T.PageParams = {}) => this.request<T.Paginated<T.HistoryItem>>('GET', `scenarios/${id}/history/`, { query }),
  };

  readonly scenarioAgent = {
    /** Starts any scenario-agent job with the raw request body; answers `{progress_id, session_id}` at once. */
    start: (body: T.ScenarioAgentRequest, signal?: AbortSignal) => this.request<T.ScenarioAgentStart>('POST', 'scenarios/scenario-agent/', { body, signal }),
    /** Suggest changes to existing scenarios (nothing is written). */
    improve: (body: Omit<T.ScenarioAgentRequest, 'apply_changes' | 'updated_scenarios'> & { scenarios: NonNullable<T.ScenarioAgentRequest['scenarios']> }) =>
      this.scenarioAgent.start(body),
    /** Draft new scenarios for an agent, or get clarifying questions first (no `scenarios`). */
    clarify: (body: Omit<T.ScenarioAgentRequest, 'scenarios' | 'apply_changes' | 'updated_scenarios'> & { agent_id: number }) => this.scenarioAgent.start(body),
    /** Apply suggestions (an improve's or a clarify's `updated_scenarios`) in one transaction. */
    apply: (updated_scenarios: T.UpdatedScenario[], opts: { session_id?: number | null; project_id?: number | null; source_progress_id?: string } = {}) =>
      this.scenarioAgent.start({ apply_changes: true, updated_scenarios, ...opts }),
    progress: <R = T.ScenarioAgentResult>(progressId: string, signal?: AbortSignal) =>
      this.request<T.Progress<R>>('GET', 'scenarios/scenario-agent-progress/', { query: { progress_id: progressId }, signal }),
    cancel: (target: T.CancelRequest) => this.request<T.CancelResult>('POST', 'scenarios/cancel-agent/', { body: target }),
    discard: (sessionId: number) =>
      this.request<{ success: boolean; session_id: number }>('POST', 'scenarios/discard-changes/', { body: { session_id: sessionId } }),
  };

  /**
   * Follows a job until it reaches a final status: by its stream of events, or, where no stream
   * can be had (an older server, a proxy that buffers), by polling (200 ms, growing to 2 s while
   * nothing moves).
   */
  waitFor<R = T.ScenarioAgentResult>(progressId: string, opts: WaitOptions = {}): Promise<T.Progress<R>> {
    return followUntilFinal(
      (signal) => this.openEventStream('scenarios/scenario-agent-progress/', { progress_id: progressId }, signal),
      (signal) => this.scenarioAgent.progress(progressId, signal),
      opts,
    ) as Promise<T.Progress<R>>;
  }

  /** A GET asking for `text/event-stream`; the response as it came, for the caller to read. */
  async openEventStream(path: string, query: Record<string, QueryValue>, signal?: AbortSignal): Promise<Response> {
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (this.#key) headers['X-CEKURA-API-KEY'] = this.#key;
    return this.#fetch(`${this.apiUrl}/${path.replace(/^\/+/, '')}${queryString(query)}`, { method: 'GET', headers, signal });
  }

  readonly sessions = {
    list: (projectId: number) => this.request<T.SessionSummary[]>('GET', 'scenario-improvement-sessions/', { query: { project_id: projectId } }),
    get: (id: number) => this.request<T.SessionDetail>('GET', `scenario-improvement-sessions/${id}/`),
    create: (body: T.SessionCreate) => this.request<T.SessionDetail>('POST', 'scenario-improvement-sessions/', { body }),
    update: (id: number, body: T.SessionUpdate) => this.request<T.SessionDetail>('PATCH', `scenario-improvement-sessions/${id}/`, { body }),
    delete: (id: number) => this.request<null>('DELETE', `scenario-improvement-sessions/${id}/`),
  };

  /** Bulk writes to scenarios as wholes: list them, show one as a diff, revert one in one call. */
  readonly changesets = {
    list: (query: T.ChangesetQuery = {}) => this.request<T.Paginated<T.Changeset>>('GET', 'changesets/', { query }),
    get: (id: number, query: T.PageParams = {}) => this.request<T.ChangesetDetail>('GET', `changesets/${id}/`, { query }),
    revert: (id: number, opts: { force?: boolean } = {}) =>
      this.request<T.ChangesetRevert>('POST', `changesets/${id}/revert/`, { body: { force: opts.force ?? false } }),
  };

  readonly knowledgeBaseFiles = {
    list: (query: T.PageParams & { project_id?: number; agent_id?: number } = {}) =>
      this.request<T.Paginated<T.KnowledgeBaseFile>>('GET', 'knowledge-base-files/', { query }),
    get: (id: number) => this.request<T.KnowledgeBaseFileDetail>('GET', `knowledge-base-files/${id}/`),
    /** Uploads .txt, .md, .json, .csv, .xml or .pdf files for an agent (or a project) in one request. */
    upload: (owner: { agent?: number; project?: number }, files: UploadFile[]) =>
      this.request<T.KnowledgeBaseFile[]>('POST', 'knowledge-base-files/', {
        body: { ...owner, files: files.map((f) => ({ name: f.name, content_base64: toBase64(f.content) })) },
      }),
    update: (id: number, body: T.KnowledgeBaseFilePatch) => this.request<T.KnowledgeBaseFile>('PATCH', `knowledge-base-files/${id}/`, { body }),
    delete: (id: number) => this.request<null>('DELETE', `knowledge-base-files/${id}/`),
  };

  readonly tools = {
    list: (query: T.PageParams & { project_id?: number; agent_id?: number; search?: string } = {}) =>
      this.request<T.Paginated<T.Tool>>('GET', 'tools/', { query }),
    create: (body: T.ToolCreate) => this.request<T.Tool>('POST', 'tools/', { body }),
  };

  readonly metrics = {
    list: (query: { project_id?: number; agent_id?: number } = {}) => this.request<T.Metric[]>('GET', 'metrics/', { query }),
    create: (body: T.MetricCreate) => this.request<T.Metric>('POST', 'metrics/', { body }),
  };

  readonly testProfiles = {
    list: (query: { project_id?: number; agent_id?: number } = {}) => this.request<T.TestProfile[]>('GET', 'test-profiles/', { query }),
    create: (body: T.TestProfileCreate) => this.request<T.TestProfile>('POST', 'test-profiles/', { body }),
  };
}

function queryString(query: Record<string, QueryValue> | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null) continue;
    params.set(k, Array.isArray(v) ? v.join(',') : String(v));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

async function collect<I>(items: AsyncIterable<I>): Promise<I[]> {
  const out: I[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** Base64 with `btoa`, which Node 20 and browsers both have (Buffer is Node-only). */
function toBase64(content: Uint8Array | string): string {
  const bytes = typeof content === 'string' ? new TextEncoder().encode(content) : content;
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}
