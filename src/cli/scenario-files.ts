import YAML from 'yaml';
import type { Scenario } from '../client/index.js';
import { EMPTY_SCENARIO, fieldValueErrors, type ScenarioField, type ScenarioFields, sameValue, scenarioRuleErrors } from '../domain/scenario.js';

/**
 * The fields a scenario file holds, in the order a reviewer wants to read them: who and what first,
 * the long texts after. Every versioned scenario field is here (a test checks), nothing server-made.
 */
export const FILE_FIELDS = [
  'name',
  'agent',
  'personality',
  'folder_path',
  'tags',
  'scenario_language',
  'scenario_type',
  'max_duration',
  'tool_ids',
  'metrics',
  'test_profile',
  'inbound_phone_number',
  'first_message',
  'instructions',
  'conditional_actions',
  'expected_outcome_prompt',
  'simulation_description',
  'information_fields',
  'generated_mock_tool_entries',
  'suite_type',
  'is_predefined',
] as const satisfies readonly ScenarioField[];

export type FileFormat = 'yaml' | 'json';
export type DesiredScenario = Record<ScenarioField, unknown>;

/** How files refer to agents and personalities: by name where the name is unambiguous. */
export interface References {
  refForAgent(id: number): string | number;
  refForPersonality(id: number): string | number;
  agentId(ref: string | number): number;
  personalityId(ref: string | number): number;
  /** Test profiles by name too, where the caller knows them (ids differ from server to server). */
  refForTestProfile?(id: number): string | number;
  testProfileId?(ref: string | number): number;
}

const DEFAULTS: Record<string, unknown> = EMPTY_SCENARIO;

/**
 * A scenario as a file holds it: its identity first (the id and the server it belongs to, so the
 * file can be renamed and moved), then fields in FILE_FIELDS order, defaults left out so files stay
 * short. `folderInPath`: the file's directory says the folder, so the field is left out.
 */
export function toFileRecord(s: Scenario, refs: References, opts: { server?: string; folderInPath?: boolean } = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (opts.server) Object.assign(out, { id: s.id, server: opts.server });
  for (const f of FILE_FIELDS) {
    const value = (s as Record<string, unknown>)[f];
    if (f === 'folder_path' && opts.folderInPath) continue;
    if (f === 'name') out.name = value;
    else if (f === 'personality') out.personality = refs.refForPersonality(value as number);
    else if (f === 'agent') {
      if (value !== null) out.agent = refs.refForAgent(value as number);
    } else if (f === 'test_profile' && value !== null && value !== undefined && refs.refForTestProfile)
      out.test_profile = refs.refForTestProfile(value as number);
    else if (!sameValue(value ?? null, DEFAULTS[f] ?? null)) out[f] = value;
  }
  return out;
}

export function serialize(record: Record<string, unknown>, format: FileFormat): string {
  return format === 'json' ? `${JSON.stringify(record, null, 2)}\n` : YAML.stringify(record, { lineWidth: 0, blockQuote: 'literal' });
}

/** Several scenarios in one stream: YAML documents separated by `---`, or a JSON array. */
export function serializeAll(records: Record<string, unknown>[], format: FileFormat): string {
  return format === 'json' ? `${JSON.stringify(records, null, 2)}\n` : records.map((r) => serialize(r, 'yaml')).join('---\n');
}

/** A file name from a scenario name: lower-case words joined by dashes; repeats get -2, -3, … */
export function fileNameFor(name: string, format: FileFormat, taken: Set<string>): string {
  const slug =
    name
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 60)
      .replace(/-+$/, '') || 'scenario';
  const ext = format === 'json' ? 'json' : 'yaml';
  let file = `${slug}.${ext}`;
  for (let n = 2; taken.has(file); n++) file = `${slug}-${n}.${ext}`;
  taken.add(file);
  return file;
}

export const isScenarioFile = (file: string) => /\.(ya?ml|json)$/i.test(file);

/** The scenario records in a file's text; throws an Error whose message says what is wrong. */
export function parseScenarioFile(text: string, fileName: string): Record<string, unknown>[] {
  let values: unknown[];
  if (/\.json$/i.test(fileName)) {
    const parsed: unknown = JSON.parse(text);
    values = Array.isArray(parsed) ? parsed : [parsed];
  } else {
    const docs = YAML.parseAllDocuments(text);
    const broken = docs.flatMap((d) => d.errors);
    if (broken.length) throw new Error(broken[0]!.message.split('\n')[0]);
    values = docs.map((d) => d.toJS() as unknown).filter((v) => v !== null && v !== undefined);
  }
  values.forEach((v, i) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v))
      throw new Error(
        `${values.length > 1 ? `document ${i + 1}: ` : ''}expected a scenario (a mapping of fields), not ${Array.isArray(v) ? 'a list' : typeof v}.`,
      );
  });
  return values as Record<string, unknown>[];
}

const KNOWN: ReadonlySet<string> = new Set(FILE_FIELDS);

/**
 * The complete scenario a record describes: fields it leaves out take their defaults, so removing
 * a line from a file resets that field. Problems are returned (every one), not thrown.
 */
export function toDesired(record: Record<string, unknown>, refs: References): { scenario: DesiredScenario | null; errors: string[] } {
  const errors: string[] = [];
  for (const key of Object.keys(record)) if (!KNOWN.has(key)) errors.push(`unknown field "${key}"`);
  if (typeof record.name !== 'string' || !record.name.trim()) errors.push('name: required');
  if (record.personality === undefined || record.personality === null) errors.push('personality: required (a name or an id)');
  const out = { ...DEFAULTS } as DesiredScenario;
  for (const f of FILE_FIELDS) {
    if (!(f in record)) continue;
    const value = record[f];
    try {
      if (f === 'agent') out.agent = value === null ? null : refs.agentId(value as string | number);
      else if (f === 'test_profile' && typeof value === 'string' && refs.testProfileId) out.test_profile = refs.testProfileId(value);
      else if (f === 'personality') {
        if (value !== undefined && value !== null) out.personality = refs.personalityId(value as string | number);
        continue;
      } else out[f] = f === 'name' && typeof value === 'string' ? value.trim() : value;
    } catch (e) {
      errors.push(`${f}: ${(e as Error).message}`);
      continue;
    }
    for (const m of fieldValueErrors(f, out[f])) errors.push(`${f}: ${m}`);
  }
  // The server's cross-field rules, checked here too so a bad file stops the import before any write.
  if (!errors.length)
    for (const [f, messages] of Object.entries(scenarioRuleErrors(out as ScenarioFields) ?? {})) errors.push(...messages.map((m) => `${f}: ${m}`));
  return { scenario: errors.length ? null : out, errors };
}

/** The fields in which a stored scenario differs from the one a file describes. */
export function changedFields(current: Scenario, desired: DesiredScenario): ScenarioField[] {
  return FILE_FIELDS.filter((f) => !sameValue((current as Record<string, unknown>)[f] ?? null, desired[f] ?? null));
}
