import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Library, type LibraryScenario, seedLibrary } from './fixtures/quality-library.js';
import { startJob, waitForInstructions, waitForJob } from './helpers/agent.js';
import { callerText, type DraftCase, leaks } from './helpers/quality-judge.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/**
 * Suggestion quality as a careful reviewer judges it, through the API on the offline engine: for
 * realistic requests over a realistic library, is every answer honest? No scenario changed that the
 * request excluded, no claim of work not done, every skipped part named in `not_done`, and nothing
 * the simulated caller reads carries the grader's rubric or the agent's internal policies.
 */
let s: TestServer;
let lib: Library;
/** Each answer judged strictly (skipped parts in `not_done`) and leniently (named anywhere in the reply). */
const verdicts: Array<{ name: string; honest: boolean; lenient: boolean }> = [];

beforeAll(async () => {
  s = await startTestServer();
  lib = await seedLibrary(s.api, s.defaultProjectId);
}, 60_000);
afterAll(async () => {
  const honest = verdicts.filter((v) => v.honest).length;
  const lenient = verdicts.filter((v) => v.lenient).length;
  // The score is the suite's summary; each request is also its own test below.
  console.log(`suggestion quality: ${honest} of ${verdicts.length} answers honest (${lenient} when a skipped part named only in the reply counts)`);
  await s?.stop();
});

type Result = { status: string; result: any };
const has = (tag: string) => (x: LibraryScenario) => x.tags.includes(tag);
const allIds = (xs: LibraryScenario[]) => xs.map((x) => x.id);

let lenientMode = false;
const notDoneText = (r: any): string =>
  Array.isArray(r.not_done) && (r.not_done.length || !lenientMode)
    ? r.not_done.map((n: any) => `${n.part} — ${n.reason}`).join('\n')
    : lenientMode
      ? String(r.message ?? r.user_message ?? '')
      : '';

/** Judges one answer both ways; the strict problems are the test's. */
function judge(name: string, problemsOf: () => string[]): string[] {
  lenientMode = true;
  const lenient = problemsOf().filter((p) => p !== 'the result has no not_done list' && !/^not_done lists work/.test(p));
  lenientMode = false;
  const strict = problemsOf();
  verdicts.push({ name, honest: !strict.length, lenient: !lenient.length });
  return strict;
}

interface ImproveCase {
  name: string;
  select: (l: Library) => LibraryScenario[];
  message: string;
  /** Exactly these scenarios get a suggestion (none when the request must be declined or cannot be done). */
  changed: (l: Library, selected: LibraryScenario[]) => number[];
  /** The only fields a suggestion may touch. */
  fields?: string[];
  /** Each must match the result's not_done; with none, not_done must be empty. */
  notDone?: RegExp[];
  /** The reply must say this (e.g. the scope it applied). */
  says?: RegExp;
  check?: (r: any, l: Library) => string[];
}

const billing = (l: Library) => l.byAgent('billing');
const clinic = (l: Library) => l.byAgent('clinic');
const airline = (l: Library) => l.byAgent('airline');
const everyone = (l: Library) => l.scenarios;
const none = () => [];
const only = (p: (x: LibraryScenario) => boolean) => (_l: Library, sel: LibraryScenario[]) => allIds(sel.filter(p));
const conditional = (x: LibraryScenario) => x.scenario_type === 'conditional_actions';

const IMPROVE: ImproveCase[] = [
  // Structured requests, in the word orders people use.
  { name: 'add a tool', select: billing, message: 'add the DTMF tool', changed: only((x) => !x.tool_ids.includes('TOOL_DTMF')), fields: ['tool_ids'] },
  { name: 'remove the beta tag', select: billing, message: 'remove the beta tag', changed: only(has('beta')), fields: ['tags'] },
  { name: 'remove tag beta', select: clinic, message: 'remove tag beta', changed: only(has('beta')), fields: ['tags'] },
  { name: 'delete the "beta" tag', select: airline, message: 'delete the "beta" tag', changed: only(has('beta')), fields: ['tags'] },
  { name: 'add a tag called', select: clinic, message: 'add a tag called regression', changed: only(() => true), fields: ['tags'] },
  { name: 'add the X tag', select: airline, message: 'add the regression tag', changed: only(() => true), fields: ['tags'] },
  { name: 'max duration', select: billing, message: 'set max duration to 5 minutes', changed: only(() => true), fields: ['max_duration'] },
  { name: 'calls of at most', select: clinic, message: 'limit calls to 3 minutes', changed: only(() => true), fields: ['max_duration'] },
  {
    name: 'move to folder',
    select: airline,
    message: 'move them to the Travel folder',
    changed: only((x) => x.folder_path !== 'Travel'),
    fields: ['folder_path'],
  },
  {
    name: 'personality by name',
    select: clinic,
    message: 'use the Impatient Caller personality',
    changed: only((x) => x.personality_name !== 'Impatient Caller'),
    fields: ['personality'],
  },
  {
    name: 'change the personality to',
    select: airline,
    message: 'change the personality to Normal Female',
    changed: only((x) => x.personality_name !== 'Normal Female'),
    fields: ['personality'],
  },
  { name: 'prefix names', select: clinic, message: 'prefix the names with [QA]', changed: only(() => true), fields: ['name'] },
  {
    name: 'two structured parts',
    select: airline,
    message: 'tag them as smoke and add the hold tool',
    changed: only(() => true),
    fields: ['tags', 'tool_ids'],
  },
  {
    name: 'expected outcome',
    select: (l) => billing(l).slice(0, 3),
    message: 'change the expected outcome to "The agent resolves the billing issue."',
    changed: only(() => true),
    fields: ['expected_outcome_prompt'],
  },
  { name: 'remove a tool', select: billing, message: 'remove the hold tool', changed: only((x) => x.tool_ids.includes('TOOL_HOLD')), fields: ['tool_ids'] },
  // Scope qualifiers: an exact filter the reply states, or the request declined.
  {
    name: 'only the refunds ones',
    select: billing,
    message: 'add the DTMF tool to only the refunds ones',
    changed: only(has('refunds')),
    fields: ['tool_ids'],
    says: /refunds/,
  },
  {
    name: 'tag the billing ones with urgent',
    select: everyone,
    message: 'tag the billing ones with urgent',
    changed: only(has('billing')),
    fields: ['tags'],
    says: /billing/,
    check: (r) => (r.updated_scenarios.some((u: any) => u.tags.some((t: string) => / /.test(t))) ? ['a clause became a tag'] : []),
  },
  {
    name: 'all except the Spanish ones',
    select: billing,
    message: 'remove the hold tool from all except the Spanish ones',
    changed: only((x) => x.scenario_language !== 'es' && x.tool_ids.includes('TOOL_HOLD')),
    fields: ['tool_ids'],
    says: /Spanish|\bes\b/,
  },
  {
    name: 'the ones where the caller is angry',
    select: clinic,
    message: 'set max duration to 3 minutes for the ones where the caller is angry',
    changed: only((x) => x.personality_name === 'Angry Customer'),
    fields: ['max_duration'],
    says: /Angry/,
  },
  {
    name: 'in a folder',
    select: billing,
    message: 'add tag vip to the scenarios in the Billing.Disputes folder',
    changed: only((x) => x.folder_path === 'Billing.Disputes'),
    fields: ['tags'],
    says: /Billing\.Disputes/,
  },
  {
    name: 'only the German ones',
    select: everyone,
    message: 'only the German ones: set max duration to 2 minutes',
    changed: only((x) => x.scenario_language === 'de'),
    fields: ['max_duration'],
    says: /German|\bde\b/,
  },
  {
    name: 'the late fee ones',
    select: billing,
    message: 'add tag fees-review to the late fee ones',
    changed: only((x) => /late fee/i.test(x.name)),
    fields: ['tags'],
    says: /late fee/i,
  },
  {
    name: 'for one agent',
    select: everyone,
    message: 'add the DTMF tool to the FlyRight Airline scenarios',
    changed: (l) => allIds(airline(l).filter((x) => !x.tool_ids.includes('TOOL_DTMF'))),
    fields: ['tool_ids'],
    says: /FlyRight/,
  },
  {
    name: 'scenarios mentioning a word',
    select: billing,
    message: 'for the scenarios mentioning invoice, add tag invoice',
    changed: only((x) => /invoice/i.test(x.name + x.instructions)),
    fields: ['tags'],
    says: /invoice/,
  },
  { name: 'a qualifier that matches nothing', select: billing, message: 'add the DTMF tool to only the unicorn ones', changed: none, notDone: [/unicorn/] },
  {
    name: 'a qualifier it cannot judge',
    select: billing,
    message: 'add tag flaky to the ones that failed last week',
    changed: none,
    notDone: [/failed last week/],
  },
  // Conditional actions are edited in place, never rebuilt.
  {
    name: 'first message on a conditional scenario',
    select: (l) => billing(l).filter(conditional),
    message: 'set the first message to "Hello, my bill is wrong."',
    changed: only(() => true),
    fields: ['first_message', 'conditional_actions'],
    check: (r) => {
      const u = r.updated_scenarios[0];
      const conditions = u?.conditional_actions?.conditions ?? [];
      const out: string[] = [];
      if (conditions.length !== 3) out.push(`conditions rebuilt: ${conditions.length} instead of 3`);
      if (conditions[0]?.action !== 'Hello, my bill is wrong.') out.push('FIRST_MESSAGE not edited');
      if (conditions[1]?.action !== 'Give account number 44812.') out.push('an existing condition was lost');
      return out;
    },
  },
  {
    name: 'more detail on conditional scenarios',
    select: (l) => l.scenarios.filter(conditional),
    message: 'make the instructions more detailed',
    changed: none,
    notDone: [/condition/i],
  },
  // What it cannot do is named, never claimed.
  { name: 'make them shorter', select: billing, message: 'make them shorter', changed: none, notDone: [/shorter/] },
  { name: 'more sarcastic', select: clinic, message: 'make the caller more sarcastic', changed: none, notDone: [/sarcastic/] },
  { name: 'more realistic', select: airline, message: 'make the scenarios more realistic', changed: none, notDone: [/realistic/] },
  { name: 'improve them', select: clinic, message: 'improve them', changed: none, notDone: [/improve/] },
  // Mixed: the structured part is done, the rest is named.
  {
    name: 'tag and soften',
    select: billing,
    message: 'add tag reviewed and make the caller more polite',
    changed: only(() => true),
    fields: ['tags'],
    notDone: [/polite/],
  },
  {
    name: 'remove tag and rewrite outcomes',
    select: airline,
    message: 'remove the beta tag and rewrite the expected outcomes to be stricter',
    changed: only(has('beta')),
    fields: ['tags'],
    notDone: [/stricter/],
  },
  // A language change says the caller's text was not translated.
  {
    name: 'switch these to German',
    select: (l) =>
      billing(l)
        .filter((x) => x.scenario_language === 'en')
        .slice(0, 4),
    message: 'switch these to German',
    changed: only(() => true),
    fields: ['scenario_language'],
    notDone: [/translat/i],
  },
  {
    name: 'language to Spanish',
    select: (l) => clinic(l).slice(0, 3),
    message: 'change the language to Spanish',
    changed: only((x) => x.scenario_language !== 'es'),
    fields: ['scenario_language'],
    notDone: [/translat/i],
  },
  // A tag that is a clause is refused.
  {
    name: 'a clause as a tag',
    select: billing,
    message: 'add tag for anything where the caller sounds unhappy about the price',
    changed: none,
    notDone: [/tag/],
  },
  // Instructions made more detailed never carry the rubric or the agent's internals.
  {
    name: 'more detailed instructions',
    select: (l) =>
      billing(l)
        .filter((x) => !conditional(x))
        .slice(0, 5),
    message: 'make the instructions more detailed',
    changed: only(() => true),
    fields: ['instructions'],
  },
];

async function improve(c: ImproveCase): Promise<string[]> {
  const selected = c.select(lib);
  const done: Result = await waitForJob(s.api, (await startJob(s.api, { scenarios: allIds(selected), user_message: c.message })).progress_id);
  return judge(c.name, () => improveProblems(c, selected, done));
}

function improveProblems(c: ImproveCase, selected: LibraryScenario[], done: Result): string[] {
  const r = done.result;
  if (done.status !== 'completed') return [`job ${done.status}: ${JSON.stringify(r)}`];
  const problems: string[] = [];
  const want = new Set(c.changed(lib, selected));
  const got = new Set<number>(r.updated_scenarios.map((u: any) => u.id));
  const extra = [...got].filter((id) => !want.has(id));
  const missing = [...want].filter((id) => !got.has(id));
  if (extra.length) problems.push(`changed scenarios the request excluded or did not ask for: ${extra.join(', ')}`);
  if (missing.length) problems.push(`did not change: ${missing.join(', ')}`);
  for (const u of r.updated_scenarios) {
    const fields = Object.keys(u.changes ?? {});
    const outside = c.fields ? fields.filter((f) => !c.fields!.includes(f)) : fields;
    if (outside.length) problems.push(`scenario ${u.id}: changed ${outside.join(', ')} outside the request`);
    const before = lib.scenarios.find((x) => x.id === u.id)!;
    problems.push(...leaks(callerText({ ...before, ...u }), before.expected_outcome_prompt).map((p) => `scenario ${u.id}: ${p}`));
  }
  const nd = notDoneText(r);
  if (!Array.isArray(r.not_done)) problems.push('the result has no not_done list');
  else if (!c.notDone?.length && r.not_done.length) problems.push(`not_done lists work that was done or asked: ${nd}`);
  for (const re of c.notDone ?? []) if (!re.test(nd)) problems.push(`not_done does not name ${re}: ${nd || '(empty)'}`);
  if (!got.size && /already match|I suggest changes/i.test(r.message)) problems.push(`the reply claims work: ${r.message}`);
  if (c.says && !c.says.test(r.message)) problems.push(`the reply does not state ${c.says}: ${r.message}`);
  problems.push(...(c.check?.(r, lib) ?? []));
  return problems;
}

describe('improve requests', () => {
  it.each(IMPROVE.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    expect(await improve(c)).toEqual([]);
  });
});

const DRAFTS: DraftCase[] = [
  {
    name: 'three named topics',
    agent: 'billing',
    turns: ['Write scenarios about refunds, late fees and payment plans'],
    num: 3,
    topics: [/refund/i, /late fee/i, /payment plan/i],
  },
  {
    name: 'in Spanish',
    agent: 'clinic',
    turns: ['Write 2 scenarios in Spanish about cancellations and prescription refills'],
    num: 2,
    language: 'es',
    topics: [/cancel/i, /refill|prescription/i],
  },
  { name: 'from the knowledge base', agent: 'airline', turns: ['Write some new test scenarios'], num: 2 },
  {
    name: 'an answer to a question',
    agent: 'airline',
    turns: ['Write scenarios', 'German callers; cover lost baggage and seat upgrades'],
    num: 2,
    language: 'de',
    topics: [/bag/i, /upgrade/i],
  },
];

async function drafts(c: DraftCase): Promise<string[]> {
  const agent = lib.agents[c.agent];
  let sessionId: number | undefined;
  let done: Result = { status: 'not started', result: null };
  for (const turn of c.turns) {
    const started = await startJob(s.api, {
      agent_id: agent.id,
      project_id: lib.projectId,
      user_message: turn,
      num_scenarios: c.num,
      ...(sessionId ? { session_id: sessionId } : {}),
    });
    sessionId = started.session_id;
    done = await waitForJob(s.api, started.progress_id);
  }
  return judge(`draft: ${c.name}`, () => draftProblems(c, done));
}

function draftProblems(c: DraftCase, done: Result): string[] {
  const agent = lib.agents[c.agent];
  const r = done.result;
  if (done.status !== 'completed') return [`job ${done.status}`];
  const problems: string[] = [];
  const list: any[] = r.generated_scenarios ?? [];
  if (list.length !== c.num && !notDoneText(r)) problems.push(`asked for ${c.num} drafts, got ${list.length} without saying why in not_done`);
  const names = list.map((d) => d.name);
  if (new Set(names).size !== names.length) problems.push(`duplicate names: ${names.join(' | ')}`);
  if (names.some((n) => /^Caller asks about /.test(n))) problems.push(`generic names: ${names.join(' | ')}`);
  const outcomes = list.map((d) => d.expected_outcome_prompt);
  if (new Set(outcomes).size !== outcomes.length) problems.push('drafts share an expected outcome');
  const existing = new Set(lib.byAgent(c.agent).map((x) => x.name.toLowerCase()));
  for (const d of list) {
    if (existing.has(d.name.toLowerCase())) problems.push(`"${d.name}" duplicates an existing scenario`);
    const sources: number[] = d.source_files ?? d.sources ?? [];
    if (!sources.length) problems.push(`"${d.name}" names no knowledge-base source`);
    if (sources.some((f) => f !== agent.kbFile)) problems.push(`"${d.name}" cites a file that is not the agent's`);
    if (c.language && d.scenario_language !== c.language) problems.push(`"${d.name}" is in ${d.scenario_language}, not ${c.language}`);
    problems.push(...leaks(callerText(d), d.expected_outcome_prompt).map((p) => `"${d.name}": ${p}`));
  }
  for (const t of c.topics ?? []) if (!list.some((d) => t.test(`${d.name} ${d.instructions}`))) problems.push(`no draft about ${t}`);
  if (c.language && c.language !== 'en' && !/translat|English/i.test(`${notDoneText(r)} ${r.user_message}`))
    problems.push('drafts in another language without saying their text is English');
  return problems;
}

describe('drafts', () => {
  it.each(DRAFTS.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    expect(await drafts(c)).toEqual([]);
  });
});

describe('instructions', () => {
  const start = async (path: string, body: unknown) => {
    const res = await s.api('POST', `scenarios/${path}`, body);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return waitForInstructions(s.api, res.body.progress_id);
  };

  it.each([
    ['generate for an instruction scenario', (l: Library) => billing(l).find((x) => x.name === 'Late fee dispute')!, 'generate'],
    ['make existing instructions more detailed', (l: Library) => clinic(l).find((x) => x.name === 'Chest pain caller')!, 'detail'],
  ] as const)('%s never shows the caller the rubric or the agent internals', async (name, pick, mode) => {
    const sc = pick(lib);
    const done =
      mode === 'generate'
        ? await start('generate-instructions/', { scenario: sc.id })
        : await start(`${sc.id}/improve_instructions/`, { user_message: 'make it more detailed' });
    expect(
      judge(`instructions: ${name}`, () => (done.status !== 'completed' ? [`job ${done.status}`] : leaks(callerText(done), sc.expected_outcome_prompt))),
    ).toEqual([]);
  });

  it('conditional actions are kept when written again', async () => {
    const sc = billing(lib).find(conditional)!;
    const done = await start('generate-instructions/', { scenario: sc.id });
    const conditions = done.conditional_actions?.conditions ?? [];
    const lost = () =>
      sc
        .conditional_actions!.conditions.filter((c) => !conditions.some((x: any) => x.condition === c.condition && x.action === c.action))
        .map((c) => `lost condition "${String(c.condition)}"`);
    expect(judge('instructions: conditional actions kept', lost)).toEqual([]);
  });

  it('a shorter version of free-form text is not claimed', async () => {
    const sc = billing(lib).find((x) => x.name === 'Payment plan request')!;
    const done = await start(`${sc.id}/improve_instructions/`, { user_message: 'make it shorter' });
    const problems = () => [
      ...(Object.keys(done.changes ?? {}).length ? ['changed the instructions'] : []),
      ...(/shorter/.test(JSON.stringify(done.not_done ?? [])) || (lenientMode && /shorter/.test(JSON.stringify(done.unsupported ?? [])))
        ? []
        : ['did not name the part it could not do in not_done']),
    ];
    expect(judge('instructions: shorter not claimed', problems)).toEqual([]);
  });
});
