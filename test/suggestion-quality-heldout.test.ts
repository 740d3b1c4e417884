import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine } from '../src/agent/engines/index.js';
import { loadConfig } from '../src/config.js';
import { AGENTS, type Library, type LibraryScenario, seedLibrary } from './fixtures/quality-library.js';
import { startJob, waitForInstructions, waitForJob } from './helpers/agent.js';
import { batchIds, completion, type FakeOpenAI, promptOf, startFakeOpenAI } from './helpers/fake-openai.js';
import { callerText, type DraftCase, leaks } from './helpers/quality-judge.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/**
 * A held-out set of requests, worded as a QA engineer types them rather than as the first suite
 * does: polite filler, typos of order, numbers in words, several qualifiers, "except"/"but not",
 * scenarios named by name, structured edits in many word orders, vague and impossible requests,
 * mixed ones, and drafts with languages, counts, knowledge-base topics and answers to questions.
 * Each answer is judged as a careful reviewer would, through the API on the offline engine; then
 * every improve request runs again with a model configured (a fake OpenAI-compatible server), where
 * a request the planner fully understands must make no model call, and any other must reach the
 * model with the description of the agent of every scenario it sends.
 */
let s: TestServer;
let lib: Library;
const verdicts: Array<{ name: string; honest: boolean }> = [];

beforeAll(async () => {
  s = await startTestServer();
  lib = await seedLibrary(s.api, s.defaultProjectId);
}, 60_000);
afterAll(async () => {
  console.log(`held-out suggestion quality: ${verdicts.filter((v) => v.honest).length} of ${verdicts.length} answers honest`);
  await s?.stop();
});

type Sc = LibraryScenario & { information_fields?: Record<string, unknown> };
type Result = { status: string; result: any; usage?: { model_calls: number } };
const ids = (xs: LibraryScenario[]) => xs.map((x) => x.id);
const has = (tag: string) => (x: LibraryScenario) => x.tags.includes(tag);
const hasTool = (t: string) => (x: LibraryScenario) => x.tool_ids.includes(t);
const lang = (code: string) => (x: LibraryScenario) => x.scenario_language === code;
const named =
  (...names: string[]) =>
  (x: LibraryScenario) =>
    names.includes(x.name);
const conditional = (x: LibraryScenario) => x.scenario_type === 'conditional_actions';
const all = () => true;

const billing = (l: Library) => l.byAgent('billing');
const clinic = (l: Library) => l.byAgent('clinic');
const airline = (l: Library) => l.byAgent('airline');
const everyone = (l: Library) => l.scenarios;
const plain = (pick: (l: Library) => LibraryScenario[], n: number) => (l: Library) =>
  pick(l)
    .filter((x) => !conditional(x))
    .slice(0, n);

interface Case {
  name: string;
  select: (l: Library) => LibraryScenario[];
  message: string;
  /** Exactly the selected scenarios this holds for get a suggestion; `null`: none may. */
  changed: ((x: Sc) => boolean) | null;
  fields?: string[];
  /** Each must match something in not_done; with none, not_done must be empty. */
  notDone?: RegExp[];
  /** The reply must say this (e.g. the scope it applied). */
  says?: RegExp;
  /** Problems with the values proposed for one scenario. */
  value?: (u: any, before: Sc) => string | null;
}

const tagsInclude =
  (...tags: string[]) =>
  (u: any) =>
    tags.every((t) => u.tags?.includes(t)) ? null : `tags ${JSON.stringify(u.tags)} lack ${tags.join(', ')}`;
const toolsInclude = (t: string) => (u: any) => (u.tool_ids?.includes(t) ? null : `tools ${JSON.stringify(u.tool_ids)} lack ${t}`);
const fieldIs = (field: string, want: unknown) => (u: any) =>
  JSON.stringify(u[field]) === JSON.stringify(want) ? null : `${field} is ${JSON.stringify(u[field])}, not ${JSON.stringify(want)}`;

const CASES: Case[] = [
  // Structured edits, in the many ways people phrase them.
  {
    name: 'polite shorthand',
    select: billing,
    message: 'pls add the hold tool to these',
    changed: (x) => !hasTool('TOOL_HOLD')(x),
    fields: ['tool_ids'],
    value: toolsInclude('TOOL_HOLD'),
  },
  {
    name: 'question with thanks',
    select: clinic,
    message: 'Could you please add the keypad tool? Thanks!',
    changed: (x) => !hasTool('TOOL_DTMF')(x),
    fields: ['tool_ids'],
    value: toolsInclude('TOOL_DTMF'),
  },
  {
    name: 'get rid of a tag',
    select: everyone,
    message: 'get rid of the beta tag',
    changed: has('beta'),
    fields: ['tags'],
    value: (u) => (u.tags.includes('beta') ? 'beta kept' : null),
  },
  {
    name: 'take a tag off',
    select: airline,
    message: 'take the smoke tag off',
    changed: has('smoke'),
    fields: ['tags'],
    value: (u) => (u.tags.includes('smoke') ? 'smoke kept' : null),
  },
  {
    name: 'two tags at once',
    select: clinic,
    message: 'add tags nightly and regression',
    changed: all,
    fields: ['tags'],
    value: tagsInclude('nightly', 'regression'),
  },
  { name: 'tag them, no preposition', select: billing, message: 'tag them nightly', changed: all, fields: ['tags'], value: tagsInclude('nightly') },
  { name: 'tag everything with', select: airline, message: 'tag everything with q3-review', changed: all, fields: ['tags'], value: tagsInclude('q3-review') },
  { name: 'label them, quoted', select: billing, message: 'label them "needs-review"', changed: all, fields: ['tags'], value: tagsInclude('needs-review') },
  { name: 'mark as', select: clinic, message: 'mark these as flaky', changed: all, fields: ['tags'], value: tagsInclude('flaky') },
  {
    name: 'seconds in words',
    select: billing,
    message: 'Set the max call duration to ninety seconds',
    changed: all,
    fields: ['max_duration'],
    value: fieldIs('max_duration', 90),
  },
  {
    name: 'duration with a colon',
    select: clinic,
    message: 'max duration: 4 min',
    changed: all,
    fields: ['max_duration'],
    value: fieldIs('max_duration', 240),
  },
  {
    name: 'cap the calls at',
    select: airline,
    message: 'cap the calls at two minutes',
    changed: all,
    fields: ['max_duration'],
    value: fieldIs('max_duration', 120),
  },
  {
    name: 'make the max duration',
    select: billing,
    message: 'make the max duration ten minutes',
    changed: all,
    fields: ['max_duration'],
    value: fieldIs('max_duration', 600),
  },
  {
    name: 'limit each call',
    select: clinic,
    message: 'limit each call to 1.5 minutes',
    changed: all,
    fields: ['max_duration'],
    value: fieldIs('max_duration', 90),
  },
  {
    name: 'put in a folder',
    select: clinic,
    message: 'put them in the Clinic folder',
    changed: (x) => x.folder_path !== 'Clinic',
    fields: ['folder_path'],
    value: fieldIs('folder_path', 'Clinic'),
  },
  {
    name: 'into folder X',
    select: airline,
    message: 'move these scenarios into folder Travel',
    changed: (x) => x.folder_path !== 'Travel',
    fields: ['folder_path'],
    value: fieldIs('folder_path', 'Travel'),
  },
  {
    name: 'change the folder to',
    select: billing,
    message: 'change the folder to Billing.Disputes',
    changed: (x) => x.folder_path !== 'Billing.Disputes',
    fields: ['folder_path'],
    value: fieldIs('folder_path', 'Billing.Disputes'),
  },
  {
    name: 'switch the personality',
    select: clinic,
    message: 'switch the personality to Confused Elderly Caller',
    changed: (x) => x.personality_name !== 'Confused Elderly Caller',
    fields: ['personality'],
  },
  {
    name: 'make the caller impatient',
    select: airline,
    message: 'make the caller impatient',
    changed: (x) => x.personality_name !== 'Impatient Caller',
    fields: ['personality'],
  },
  {
    name: 'personality with a colon',
    select: billing,
    message: 'personality: Angry Customer',
    changed: (x) => x.personality_name !== 'Angry Customer',
    fields: ['personality'],
  },
  {
    name: 'language in lower case',
    select: (l) => clinic(l).slice(0, 3),
    message: 'set language to french',
    changed: all,
    fields: ['scenario_language'],
    notDone: [/translat/i],
    value: fieldIs('scenario_language', 'fr'),
  },
  {
    name: 'translate them to',
    select: (l) => airline(l).slice(0, 3),
    message: 'translate them to Italian',
    changed: all,
    fields: ['scenario_language'],
    notDone: [/translat/i],
    value: fieldIs('scenario_language', 'it'),
  },
  {
    name: 'first message with a colon',
    select: plain(clinic, 3),
    message: 'first message: "Hello, I am calling about my appointment."',
    changed: all,
    fields: ['first_message'],
    value: fieldIs('first_message', 'Hello, I am calling about my appointment.'),
  },
  {
    name: 'the opening line',
    select: plain(airline, 2),
    message: 'make the opening line "Hi, this is Dana speaking."',
    changed: all,
    fields: ['first_message'],
    value: fieldIs('first_message', 'Hi, this is Dana speaking.'),
  },
  {
    name: 'expected outcome with a colon',
    select: plain(clinic, 2),
    message: 'set expected outcome: "The agent books the appointment and confirms the date."',
    changed: all,
    fields: ['expected_outcome_prompt'],
    value: fieldIs('expected_outcome_prompt', 'The agent books the appointment and confirms the date.'),
  },
  {
    name: 'the outcome should be',
    select: plain(airline, 2),
    message: 'the expected outcome should be "The agent rebooks the passenger on the next flight."',
    changed: all,
    fields: ['expected_outcome_prompt'],
    value: fieldIs('expected_outcome_prompt', 'The agent rebooks the passenger on the next flight.'),
  },
  {
    name: 'rename one scenario by name',
    select: airline,
    message: 'rename "Seat upgrade" to "Seat upgrade at check-in"',
    changed: named('Seat upgrade'),
    fields: ['name'],
    value: fieldIs('name', 'Seat upgrade at check-in'),
  },
  {
    name: 'a tool for one scenario by name',
    select: billing,
    message: 'add the transfer tool to Autopay setup',
    changed: named('Autopay setup'),
    fields: ['tool_ids'],
    says: /Autopay setup/,
    value: toolsInclude('TOOL_TRANSFER_CALL'),
  },
  {
    name: 'a tag for two quoted names',
    select: billing,
    message: 'add tag vip to "Late fee dispute" and "Late fee question"',
    changed: named('Late fee dispute', 'Late fee question'),
    fields: ['tags'],
    value: tagsInclude('vip'),
  },
  {
    name: 'set an information field',
    select: plain(billing, 3),
    message: 'set the information field account_number to "55512"',
    changed: all,
    fields: ['information_fields'],
    value: (u, b) =>
      u.information_fields?.account_number === '55512' && Object.keys(b.information_fields ?? {}).every((k) => k in u.information_fields)
        ? null
        : `information_fields ${JSON.stringify(u.information_fields)}`,
  },
  {
    name: 'remove an information field',
    select: airline,
    message: 'remove the bag_tag information field',
    changed: named('Lost bag report'),
    fields: ['information_fields'],
    value: (u) => ('bag_tag' in (u.information_fields ?? {}) ? 'bag_tag kept' : null),
  },
  { name: 'remove the end call tool', select: clinic, message: 'remove the end call tool', changed: hasTool('TOOL_END_CALL'), fields: ['tool_ids'] },
  {
    name: 'remove two tools',
    select: airline,
    message: 'remove hold and transfer tools',
    changed: (x) => hasTool('TOOL_HOLD')(x) || hasTool('TOOL_TRANSFER_CALL')(x),
    fields: ['tool_ids'],
    value: (u) => (u.tool_ids.some((t: string) => t === 'TOOL_HOLD' || t === 'TOOL_TRANSFER_CALL') ? 'a tool kept' : null),
  },
  {
    name: 'add the prefix to the names',
    select: plain(clinic, 3),
    message: 'add the prefix "QA-" to the names',
    changed: all,
    fields: ['name'],
    value: (u, b) => (u.name === `QA- ${b.name}` || u.name === `QA-${b.name}` ? null : `name "${u.name}"`),
  },
  {
    name: 'prefix every name',
    select: plain(airline, 3),
    message: 'prefix every name with [smoke]',
    changed: all,
    fields: ['name'],
    value: (u, b) => (u.name === `[smoke] ${b.name}` ? null : `name "${u.name}"`),
  },

  // Scope qualifiers: an exact filter the reply states, or the request declined.
  {
    name: 'all the angry customer ones',
    select: everyone,
    message: 'add tag urgent-review to all the angry customer ones',
    changed: (x) => x.personality_name === 'Angry Customer',
    fields: ['tags'],
    says: /Angry Customer/,
  },
  {
    name: 'but not from the Spanish ones',
    select: billing,
    message: 'remove the hold tool, but not from the Spanish ones',
    changed: (x) => !lang('es')(x) && hasTool('TOOL_HOLD')(x),
    fields: ['tool_ids'],
    says: /Spanish/,
  },
  {
    name: 'leading "tagged" qualifier',
    select: airline,
    message: 'for the scenarios tagged baggage, add the transfer tool',
    changed: (x) => has('baggage')(x) && !hasTool('TOOL_TRANSFER_CALL')(x),
    fields: ['tool_ids'],
    says: /baggage/,
  },
  {
    name: 'only those with the tag',
    select: everyone,
    message: 'only those with the beta tag: set max duration to 2 minutes',
    changed: has('beta'),
    fields: ['max_duration'],
    says: /beta/,
  },
  {
    name: 'every scenario except',
    select: clinic,
    message: 'Set max duration to 3 min on every scenario except the smoke ones',
    changed: (x) => !has('smoke')(x),
    fields: ['max_duration'],
    says: /smoke/,
  },
  {
    name: 'two qualifiers',
    select: everyone,
    message: 'add the DTMF tool to the clinic ones except the German ones',
    changed: (x) => has('clinic')(x) && !lang('de')(x) && !hasTool('TOOL_DTMF')(x),
    fields: ['tool_ids'],
    says: /German/,
  },
  {
    name: 'either of two languages',
    select: everyone,
    message: 'for the ones in German or Spanish, remove the hold tool',
    changed: (x) => (lang('de')(x) || lang('es')(x)) && hasTool('TOOL_HOLD')(x),
    fields: ['tool_ids'],
    says: /German/,
  },
  {
    name: 'the X scenarios',
    select: airline,
    message: 'add tag lost-bags to the baggage scenarios',
    changed: has('baggage'),
    fields: ['tags'],
    says: /baggage/,
  },
  {
    name: 'only the folder',
    select: billing,
    message: 'only the Disputes folder: add tag escalation',
    changed: (x) => x.folder_path === 'Billing.Disputes',
    fields: ['tags'],
    says: /Disputes/,
  },
  {
    name: 'in the folder, leading',
    select: everyone,
    message: 'in the Travel folder, set max duration to 4 minutes',
    changed: (x) => x.folder_path === 'Travel',
    fields: ['max_duration'],
    says: /Travel/,
  },
  {
    name: 'whose name contains',
    select: everyone,
    message: 'add tag refund-check to scenarios whose name contains "refund"',
    changed: (x) => /refund/i.test(x.name),
    fields: ['tags'],
    says: /refund/,
  },
  {
    name: 'from one agent',
    select: everyone,
    message: 'remove the beta tag from the Acme Billing scenarios',
    changed: (x) => x.agent === lib.agents.billing.id && has('beta')(x),
    fields: ['tags'],
    says: /Acme Billing/,
  },
  {
    name: 'the ones only',
    select: everyone,
    message: 'add the hold tool to the urgent ones only',
    changed: (x) => has('urgent')(x) && !hasTool('TOOL_HOLD')(x),
    fields: ['tool_ids'],
    says: /urgent/,
  },
  {
    name: 'except two languages',
    select: billing,
    message: 'For everything except the Spanish and German ones, set max duration to 5 minutes',
    changed: (x) => !lang('es')(x) && !lang('de')(x),
    fields: ['max_duration'],
    says: /Spanish/,
  },
  {
    name: 'two scenarios by name',
    select: airline,
    message: 'set max duration to 2 minutes for Seat upgrade and Pet on board',
    changed: named('Seat upgrade', 'Pet on board'),
    fields: ['max_duration'],
    says: /Seat upgrade/,
  },
  {
    name: 'where the caller is confused',
    select: everyone,
    message: 'Add tag reviewed to the ones where the caller is confused',
    changed: (x) => x.personality_name === 'Confused Elderly Caller',
    fields: ['tags'],
    says: /Confused/,
  },
  {
    name: 'all but the X ones',
    select: clinic,
    message: 'use the Normal Female personality for all but the smoke ones',
    changed: (x) => !has('smoke')(x) && x.personality_name !== 'Normal Female',
    fields: ['personality'],
    says: /smoke/,
  },
  {
    name: 'the German scenarios',
    select: everyone,
    message: 'add tag de-review to the German scenarios',
    changed: lang('de'),
    fields: ['tags'],
    says: /German/,
  },
  {
    name: 'the ones that mention',
    select: billing,
    message: 'add tag escalation to the ones that mention a supervisor',
    changed: (x) => /supervisor/i.test(x.name + x.instructions),
    fields: ['tags'],
    says: /supervisor/,
  },
  { name: 'a qualifier it cannot judge', select: clinic, message: 'add tag frequent to the ones that failed twice', changed: null, notDone: [/failed twice/] },
  {
    name: 'a qualifier that matches nothing',
    select: airline,
    message: 'remove the beta tag from the ones about dragons',
    changed: null,
    notDone: [/dragons/],
  },

  {
    name: 'the outcome of one scenario by name',
    select: billing,
    message: 'set the expected outcome for Late fee dispute to "The agent reviews the payment date and waives the fee."',
    changed: named('Late fee dispute'),
    fields: ['expected_outcome_prompt'],
    says: /Late fee dispute/,
  },
  {
    name: 'first message of one scenario',
    select: clinic,
    message: 'set the first message of Walk-in hours to "Hi, are you open on Saturday?"',
    changed: named('Walk-in hours'),
    fields: ['first_message'],
    value: fieldIs('first_message', 'Hi, are you open on Saturday?'),
  },
  {
    name: 'duration and a qualifier after it',
    select: everyone,
    message: 'set the max duration to five mins for the urgent ones',
    changed: has('urgent'),
    fields: ['max_duration'],
    says: /urgent/,
    value: fieldIs('max_duration', 300),
  },
  { name: 'from all scenarios', select: clinic, message: 'remove tag beta from all scenarios', changed: has('beta'), fields: ['tags'] },
  { name: 'turn off a tool', select: airline, message: 'turn off hold', changed: hasTool('TOOL_HOLD'), fields: ['tool_ids'] },
  {
    name: 'single-quoted first message',
    select: plain(billing, 2),
    message: "change the first message to 'Hi, I have a question about my bill.'",
    changed: all,
    fields: ['first_message'],
    value: fieldIs('first_message', 'Hi, I have a question about my bill.'),
  },
  { name: 'seconds written short', select: clinic, message: 'max duration 45s', changed: all, fields: ['max_duration'], value: fieldIs('max_duration', 45) },
  {
    name: 'qualifier without a comma',
    select: billing,
    message: 'for the refunds ones add tag double-check and remove the hold tool',
    changed: has('refunds'),
    fields: ['tags', 'tool_ids'],
    says: /refunds/,
  },
  {
    name: 'where the caller is angry, trailing',
    select: airline,
    message: 'add the transfer tool where the caller is angry',
    changed: (x) => x.personality_name === 'Angry Customer' && !hasTool('TOOL_TRANSFER_CALL')(x),
    fields: ['tool_ids'],
    says: /Angry/,
  },
  {
    name: 'a group except one scenario',
    select: everyone,
    message: 'remove the beta tag from the Acme Billing ones except Autopay setup',
    changed: (x) => x.agent === lib.agents.billing.id && has('beta')(x) && x.name !== 'Autopay setup',
    fields: ['tags'],
    says: /Autopay setup/,
  },
  {
    name: 'switch a language group',
    select: everyone,
    message: 'switch the spanish ones to german',
    changed: lang('es'),
    fields: ['scenario_language'],
    notDone: [/translat/i],
    says: /Spanish/,
  },
  {
    name: 'a tool for a scenario it cannot find',
    select: billing,
    message: 'add the DTMF tool to the Roaming charges scenario',
    changed: null,
    notDone: [/Roaming/],
  },

  {
    name: 'a tag removed within a folder',
    select: billing,
    message: 'remove the beta tag from the Billing folder',
    changed: (x) => has('beta')(x) && (x.folder_path ?? '').startsWith('Billing'),
    fields: ['tags'],
    says: /Billing/,
  },
  {
    name: 'except from one scenario',
    select: billing,
    message: 'remove tag beta, except from Autopay setup',
    changed: (x) => has('beta')(x) && x.name !== 'Autopay setup',
    fields: ['tags'],
    says: /Autopay setup/,
  },
  {
    name: 'the X tests in the middle',
    select: everyone,
    message: 'set the max duration of the smoke tests to 1 minute',
    changed: has('smoke'),
    fields: ['max_duration'],
    says: /smoke/,
    value: fieldIs('max_duration', 60),
  },
  {
    name: 'the ones that have it',
    select: clinic,
    message: 'remove the hold tool from the ones that have it',
    changed: hasTool('TOOL_HOLD'),
    fields: ['tool_ids'],
  },
  {
    name: 'a qualifier between field and value',
    select: everyone,
    message: 'set the personality for the beta ones to Impatient Caller',
    changed: (x) => has('beta')(x) && x.personality_name !== 'Impatient Caller',
    fields: ['personality'],
    says: /beta/,
  },
  {
    name: 'X scenarios only',
    select: everyone,
    message: 'add tag x-clinic to clinic scenarios only',
    changed: has('clinic'),
    fields: ['tags'],
    says: /clinic/,
  },
  {
    name: 'out of their folder',
    select: airline,
    message: 'take them out of their folder',
    changed: (x) => x.folder_path !== null,
    fields: ['folder_path'],
    value: fieldIs('folder_path', null),
  },

  // Vague or impossible: nothing claimed, everything named.
  { name: 'make them better', select: clinic, message: 'make them better', changed: null, notDone: [/better/] },
  { name: 'sound more human', select: billing, message: 'can you make the callers sound more human?', changed: null, notDone: [/human/] },
  { name: 'fix the typos', select: airline, message: 'fix the typos', changed: null, notDone: [/typo/] },
  { name: 'delete these scenarios', select: clinic, message: 'delete these scenarios', changed: null, notDone: [/delete/] },
  { name: 'duration out of range', select: billing, message: 'set max duration to 2 hours', changed: null, notDone: [/3600|range/] },
  { name: 'a folder that does not exist', select: airline, message: 'move them to the Archive folder', changed: null, notDone: [/Archive/] },
  { name: 'a personality that does not exist', select: clinic, message: 'use the Pirate personality', changed: null, notDone: [/Pirate/] },
  { name: 'a tool that does not exist', select: billing, message: 'add the SMS tool', changed: null, notDone: [/SMS/] },
  { name: 'a language that does not exist', select: airline, message: 'set language to Klingon', changed: null, notDone: [/Klingon/] },
  { name: 'more edge cases', select: clinic, message: 'add more edge cases', changed: null, notDone: [/edge cases/] },
  { name: 'copies in French', select: billing, message: 'duplicate them in French', changed: null, notDone: [/duplicate/] },

  // Mixed: the structured parts done, the rest named.
  {
    name: 'three parts, one not structured',
    select: clinic,
    message: 'add tag reviewed, set max duration to 3 minutes and make the outcomes stricter',
    changed: all,
    fields: ['tags', 'max_duration'],
    notDone: [/stricter/],
    value: tagsInclude('reviewed'),
  },
  {
    name: 'tag and language',
    select: airline,
    message: 'Remove the beta tag and also switch them to Spanish',
    changed: (x) => has('beta')(x) || !lang('es')(x),
    fields: ['tags', 'scenario_language'],
    notDone: [/translat/i],
  },
  {
    name: 'tool and a tone',
    select: billing,
    message: 'add the hold tool and make the caller angrier',
    changed: (x) => !hasTool('TOOL_HOLD')(x),
    fields: ['tool_ids'],
    notDone: [/angrier/],
  },
  {
    name: 'semicolon and also',
    select: airline,
    message: 'tag them smoke; also make the instructions funnier',
    changed: (x) => !has('smoke')(x),
    fields: ['tags'],
    notDone: [/funnier/],
  },

  // Conditional actions are edited in place.
  {
    name: 'first message on the conditional ones',
    select: (l) => l.scenarios.filter(conditional),
    message: 'set the first message to "Hi, I think I was billed twice."',
    changed: all,
    fields: ['first_message', 'conditional_actions'],
    value: (u, b) => {
      const before = b.conditional_actions!.conditions;
      const after = u.conditional_actions?.conditions ?? [];
      if (after.length !== before.length) return `conditions rebuilt: ${after.length} instead of ${before.length}`;
      if (after.find((c: any) => c.condition === 'FIRST_MESSAGE')?.action !== 'Hi, I think I was billed twice.') return 'FIRST_MESSAGE not edited';
      return before.every((c) => c.condition === 'FIRST_MESSAGE' || after.some((a: any) => a.condition === c.condition && a.action === c.action))
        ? null
        : 'an existing condition was lost';
    },
  },
  {
    name: 'a friendlier first message on conditional ones',
    select: (l) => l.scenarios.filter(conditional),
    message: 'make the first message friendlier',
    changed: null,
    notDone: [/friendlier/],
  },
  { name: 'a tool on conditional ones', select: (l) => l.scenarios.filter(conditional), message: 'add the hold tool', changed: all, fields: ['tool_ids'] },
];

function problemsOf(c: Case, selected: Sc[], done: Result): string[] {
  const r = done.result;
  if (done.status !== 'completed') return [`job ${done.status}: ${JSON.stringify(r)}`];
  const problems: string[] = [];
  const want = new Set(c.changed ? ids(selected.filter(c.changed)) : []);
  const got = new Set<number>(r.updated_scenarios.map((u: any) => u.id));
  const extra = [...got].filter((id) => !want.has(id));
  const missing = [...want].filter((id) => !got.has(id));
  const nameOf = (id: number) => lib.scenarios.find((x) => x.id === id)?.name;
  if (extra.length) problems.push(`changed scenarios the request excluded or did not ask for: ${extra.map(nameOf).join(', ')}`);
  if (missing.length) problems.push(`did not change: ${missing.map(nameOf).join(', ')}`);
  for (const u of r.updated_scenarios) {
    const fields = Object.keys(u.changes ?? {});
    const outside = c.fields ? fields.filter((f) => !c.fields!.includes(f)) : fields;
    if (outside.length) problems.push(`"${u.name}": changed ${outside.join(', ')} outside the request`);
    const before = lib.scenarios.find((x) => x.id === u.id)! as Sc;
    problems.push(...leaks(callerText({ ...before, ...u }), before.expected_outcome_prompt).map((p) => `"${u.name}": ${p}`));
    const wrong = want.has(u.id) ? c.value?.(u, before) : null;
    if (wrong) problems.push(`"${u.name}": ${wrong}`);
  }
  const nd = Array.isArray(r.not_done) ? r.not_done.map((n: any) => `${n.part} — ${n.reason}`).join('\n') : '';
  if (!Array.isArray(r.not_done)) problems.push('the result has no not_done list');
  else if (!c.notDone?.length && r.not_done.length) problems.push(`not_done lists work that was asked: ${nd}`);
  for (const re of c.notDone ?? []) if (!re.test(nd)) problems.push(`not_done does not name ${re}: ${nd || '(empty)'}`);
  if (!got.size && /already match|I suggest changes/i.test(r.message)) problems.push(`the reply claims work: ${r.message}`);
  if (c.says && !c.says.test(r.message)) problems.push(`the reply does not state ${c.says}: ${r.message}`);
  return problems;
}

describe('held-out improve requests', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (name, c) => {
    const selected = c.select(lib) as Sc[];
    const done: Result = await waitForJob(s.api, (await startJob(s.api, { scenarios: ids(selected), user_message: c.message })).progress_id);
    const problems = problemsOf(c, selected, done);
    verdicts.push({ name, honest: !problems.length });
    expect(problems, `"${c.message}"\n${done.result?.message}`).toEqual([]);
  });
});

interface HeldOutDraft extends DraftCase {
  /** Every draft must be about this. */
  every?: RegExp;
  /** The caller the request names: every draft keeps it. */
  persona?: string;
  /** false: num_scenarios is not sent, so the count comes from the request (or the session). */
  sendNum?: false;
}

const DRAFTS: HeldOutDraft[] = [
  { name: 'three on one topic', agent: 'airline', turns: ['Can you write three scenarios about lost baggage?'], num: 3, every: /bag/i },
  {
    name: 'French scenarios about two topics',
    agent: 'clinic',
    turns: ['Write 2 French scenarios about booking appointments and cancellation fees'],
    num: 2,
    language: 'fr',
    topics: [/book/i, /cancel/i],
  },
  {
    name: 'German with filler',
    agent: 'billing',
    turns: ['need a few tests for payment plans and autopay, in German pls'],
    num: 2,
    language: 'de',
    topics: [/payment plan/i, /autopay/i],
  },
  { name: 'one from the knowledge base', agent: 'airline', turns: ['scenarios for unaccompanied minors'], num: 1, topics: [/minor/i] },
  {
    name: 'answers to the questions',
    agent: 'clinic',
    turns: ['Make scenarios', 'Spanish speaking callers asking about prescription refills and late cancellations'],
    num: 2,
    language: 'es',
    topics: [/refill|prescription/i, /cancel/i],
  },
  { name: 'refunds next to existing refund tests', agent: 'billing', turns: ['write 2 scenarios about refunds'], num: 2, every: /refund/i },
  {
    name: 'an answer with a list',
    agent: 'billing',
    turns: ['Write scenarios', 'late fees and payment plans'],
    num: 2,
    topics: [/late fee/i, /payment plan/i],
  },
  {
    name: 'a count in words, no num_scenarios',
    agent: 'airline',
    turns: ['Can you write three scenarios about lost baggage?'],
    num: 3,
    sendNum: false,
    every: /bag/i,
  },
  {
    name: 'the count kept for a follow-up',
    agent: 'clinic',
    turns: ['Write 2 scenarios', 'now about prescription refills'],
    num: 2,
    sendNum: false,
    every: /refill|prescription/i,
  },
  {
    name: 'courtesy and a situation',
    agent: 'billing',
    turns: ["Hi! I'd like a few scenarios where the customer wants a refund, thanks"],
    num: 3,
    every: /refund/i,
  },
  {
    name: 'a list after a colon',
    agent: 'airline',
    turns: ['write scenarios for: lost luggage, delayed flights, and pets'],
    num: 3,
    topics: [/luggage/i, /delayed/i, /pets/i],
  },
  {
    name: 'a caller the request names',
    agent: 'billing',
    turns: ['scenarios where an angry customer disputes a late fee'],
    num: 2,
    every: /late fee/i,
    persona: 'Angry Customer',
  },
  {
    name: 'an answer with filler and a language',
    agent: 'airline',
    turns: ['Make scenarios', 'mostly about unaccompanied kids, in Italian'],
    num: 2,
    language: 'it',
    every: /unaccompanied/i,
  },
  {
    name: 'a topic the knowledge base lacks',
    agent: 'airline',
    turns: ['Generate scenarios covering seat upgrades and pets in the cabin'],
    num: 2,
    topics: [/upgrade/i, /pet/i],
  },
];

function draftProblems(c: HeldOutDraft, done: Result): string[] {
  const agent = lib.agents[c.agent];
  const r = done.result;
  if (done.status !== 'completed') return [`job ${done.status}: ${JSON.stringify(r?.clarification_questions ?? r)}`];
  const problems: string[] = [];
  const list: any[] = r.generated_scenarios ?? [];
  const nd = (r.not_done ?? []).map((n: any) => `${n.part} — ${n.reason}`).join('\n');
  if (list.length !== c.num && !nd) problems.push(`asked for ${c.num} drafts, got ${list.length} without saying why in not_done`);
  const names = list.map((d) => d.name);
  if (new Set(names.map((n) => n.toLowerCase())).size !== names.length) problems.push(`duplicate names: ${names.join(' | ')}`);
  if (names.some((n) => /^Caller asks about /.test(n))) problems.push(`generic names: ${names.join(' | ')}`);
  const outcomes = list.map((d) => d.expected_outcome_prompt);
  if (new Set(outcomes).size !== outcomes.length) problems.push('drafts share an expected outcome');
  const existing = new Set(lib.byAgent(c.agent).map((x) => x.name.toLowerCase()));
  const message = `${r.message ?? ''} ${r.user_message ?? ''}`;
  for (const d of list) {
    if (existing.has(d.name.toLowerCase())) problems.push(`"${d.name}" duplicates an existing scenario`);
    const sources: number[] = d.source_files ?? [];
    // A draft no passage covers is allowed only when the reply says so.
    if (!sources.length && !message.includes(d.name)) problems.push(`"${d.name}" names no knowledge-base source and the reply does not say it is ungrounded`);
    if (sources.some((f) => f !== agent.kbFile)) problems.push(`"${d.name}" cites a file that is not the agent's`);
    if (c.language && d.scenario_language !== c.language) problems.push(`"${d.name}" is in ${d.scenario_language}, not ${c.language}`);
    if (c.every && !c.every.test(`${d.name} ${d.instructions}`)) problems.push(`"${d.name}" is not about ${c.every}`);
    if (c.persona && d.personality_name !== c.persona && d.personality !== personaIds.get(c.persona))
      problems.push(`"${d.name}" has another caller than the ${c.persona} asked for`);
    if (!d.expected_outcome_prompt || d.expected_outcome_prompt.length < 30) problems.push(`"${d.name}" has no measurable expected outcome`);
    problems.push(...leaks(callerText(d), d.expected_outcome_prompt).map((p) => `"${d.name}": ${p}`));
    for (const a of Object.values(AGENTS)) if (callerText(d).includes(a.description)) problems.push(`"${d.name}": caller text carries the agent description`);
  }
  for (const t of c.topics ?? []) if (!list.some((d) => t.test(`${d.name} ${d.instructions}`))) problems.push(`no draft about ${t}: ${names.join(' | ')}`);
  if (c.language && c.language !== 'en' && !/translat|English/i.test(`${nd} ${message}`))
    problems.push('drafts in another language without saying their text is English');
  return problems;
}

/** Personality ids by name, for drafts that report only the id. */
const personaIds = new Map<string, number>();

describe('held-out drafts', () => {
  beforeAll(async () => {
    const res = await s.api('GET', 'personalities/');
    for (const p of Array.isArray(res.body) ? res.body : res.body.results) personaIds.set(p.name, p.id);
  });
  it.each(DRAFTS.map((c) => [c.name, c] as const))('%s', async (name, c) => {
    let sessionId: number | undefined;
    let done: Result = { status: 'not started', result: null };
    for (const turn of c.turns) {
      const started = await startJob(s.api, {
        agent_id: lib.agents[c.agent].id,
        project_id: lib.projectId,
        user_message: turn,
        ...(c.sendNum === false ? {} : { num_scenarios: c.num }),
        ...(sessionId ? { session_id: sessionId } : {}),
      });
      sessionId = started.session_id;
      done = await waitForJob(s.api, started.progress_id);
    }
    const problems = draftProblems(c, done);
    verdicts.push({ name: `draft: ${name}`, honest: !problems.length });
    expect(problems, JSON.stringify(done.result?.generated_scenarios?.map((d: any) => d.name))).toEqual([]);
  });
});

describe('held-out instructions', () => {
  const cases = [
    { name: 'generate with information fields', scenario: 'Lost bag report', path: 'generate', message: '', notDone: null },
    { name: 'please add more detail', scenario: 'Refund denied escalation', path: 'improve', message: 'please add more detail', notDone: null },
    { name: 'expand and mention', scenario: 'Late fee dispute', path: 'improve', message: 'expand it and mention the invoice number INV-2231', notDone: null },
    {
      name: 'more detailed where the agent has a policy',
      scenario: 'Chest pain caller',
      path: 'improve',
      message: 'can you make this more detailed',
      notDone: null,
    },
    { name: 'a tone it cannot write', scenario: 'Insurance question', path: 'improve', message: 'make it sound more natural', notDone: /natural/ },
  ] as const;
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (name, c) => {
    const sc = lib.scenarios.find((x) => x.name === c.scenario)!;
    const res =
      c.path === 'generate'
        ? await s.api('POST', 'scenarios/generate-instructions/', { scenario: sc.id })
        : await s.api('POST', `scenarios/${sc.id}/improve_instructions/`, { user_message: c.message });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const done = await waitForInstructions(s.api, res.body.progress_id);
    const problems: string[] = done.status !== 'completed' ? [`job ${done.status}`] : leaks(callerText(done), sc.expected_outcome_prompt);
    const nd = JSON.stringify(done.not_done ?? []);
    if (c.notDone && !c.notDone.test(nd)) problems.push(`not_done does not name ${c.notDone}: ${nd}`);
    if (c.notDone && done.instructions && done.instructions !== sc.instructions) problems.push('changed the instructions it said it could not write');
    if (!c.notDone && done.not_done?.length) problems.push(`not_done lists work that was asked: ${nd}`);
    if (!c.notDone && (!done.instructions || done.instructions === sc.instructions)) problems.push('the instructions were not written');
    verdicts.push({ name: `instructions: ${name}`, honest: !problems.length });
    expect(problems).toEqual([]);
  });
});

/**
 * With a model configured: a request the planner fully understands (every part structured, nothing
 * left over) makes no model call; any other goes to the model, each prompt carrying the description
 * of the agent of every scenario it sends.
 */
describe('held-out requests with a model configured', () => {
  let fake: FakeOpenAI;
  let m: TestServer;
  let mlib: Library;
  beforeAll(async () => {
    fake = await startFakeOpenAI();
    const env = { SCENARIST_MODEL: 'openai-compatible:fake-model', SCENARIST_LLM_BASE_URL: fake.url, SCENARIST_LLM_MAX_RETRIES: '0' };
    m = await startTestServer(env, { engine: createEngine(loadConfig({ ...env, SCENARIST_DATA_DIR: '/tmp' })) });
    mlib = await seedLibrary(m.api, m.defaultProjectId);
  }, 60_000);
  afterAll(async () => {
    await m?.stop();
    await fake?.stop();
  });

  /** Every batch the model is sent is answered "nothing to change": what matters is whether it was sent, and with what. */
  const fresh = () => {
    fake.reset();
    fake.fallback = () => completion({ plan: '', changes: [], not_done: [], message: 'Nothing to change.' });
  };
  const understood = CASES.filter((c) => !c.notDone?.length && c.changed);
  const other = CASES.filter((c) => c.notDone?.length);

  it.each(understood.map((c) => [c.message, c] as const))('fully understood, no model call: %s', async (_m, c) => {
    fresh();
    const done = await waitForJob(m.api, (await startJob(m.api, { scenarios: ids(c.select(mlib)), user_message: c.message })).progress_id);
    expect(done.status).toBe('completed');
    expect(fake.requests).toHaveLength(0);
    expect(done.usage.model_calls).toBe(0);
    expect(done.result).toMatchObject({ answered_by: 'planner', not_done: [] });
    expect(done.result.message).toContain('no model call was made');
  });

  it.each(other.map((c) => [c.message, c] as const))('not fully understood, goes to the model with the agent description: %s', async (_m, c) => {
    fresh();
    const selected = c.select(mlib);
    const done = await waitForJob(m.api, (await startJob(m.api, { scenarios: ids(selected), user_message: c.message })).progress_id);
    expect(done.status, done.result?.message).toBe('completed');
    expect(fake.requests.length).toBeGreaterThan(0);
    expect(done.usage.model_calls).toBe(fake.requests.length);
    const sent = new Set(fake.requests.flatMap(batchIds));
    expect([...sent].sort((a, b) => a - b)).toEqual(ids(selected).sort((a, b) => a - b));
    for (const req of fake.requests) {
      const agentsOfBatch = new Set(batchIds(req).map((id) => mlib.scenarios.find((x) => x.id === id)!.agent));
      for (const a of agentsOfBatch) {
        const key = (Object.keys(mlib.agents) as Array<keyof Library['agents']>).find((k) => mlib.agents[k].id === a)!;
        expect(promptOf(req)).toContain(JSON.stringify(AGENTS[key].description).slice(1, -1).replace(/</g, '\\u003c'));
      }
    }
  });
});
