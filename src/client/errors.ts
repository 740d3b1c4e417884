/** Field errors in the seed's 400 shape: `{ field: [message, ...] }`, `non_field_errors` for cross-field rules. */
export type FieldErrors = Record<string, string[]>;

/**
 * A request the server refused (status ≥ 400), or one that never got an answer (status 0: the
 * server could not be reached). `fieldErrors` holds a 400's field errors; `detail` other statuses' text.
 */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly method: string,
    readonly url: string,
  ) {
    super(describe(status, body, method, url));
  }

  /** `{field: [messages]}` when the server answered 400 with field errors, else null. */
  get fieldErrors(): FieldErrors | null {
    if (this.status !== 400 || !isRecord(this.body) || 'detail' in this.body) return null;
    const out: FieldErrors = {};
    for (const [k, v] of Object.entries(this.body)) out[k] = Array.isArray(v) ? v.map(String) : [String(v)];
    return out;
  }

  /** The `detail` text of a non-field error (401, 404, 409, 413, …), if any. */
  get detail(): string | null {
    return isRecord(this.body) && typeof this.body.detail === 'string' ? this.body.detail : null;
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function describe(status: number, body: unknown, method: string, url: string): string {
  if (status === 0) return `${method} ${url}: no answer (${typeof body === 'string' ? body : 'network error'})`;
  if (isRecord(body)) {
    if (typeof body.detail === 'string') return `${status}: ${body.detail}`;
    const fields = Object.entries(body).map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(' ') : String(v)}`);
    if (fields.length) return `${status}: ${fields.join('; ')}`;
  }
  return `${status}: ${typeof body === 'string' && body ? body.slice(0, 200) : `${method} ${url} failed`}`;
}
