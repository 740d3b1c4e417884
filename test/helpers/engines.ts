import type {
  ClarifyInput,
  ClarifyOutput,
  ImproveInput,
  ImproveOutput,
  InstructionsInput,
  InstructionsOutput,
  PlannerScenario,
  ScenarioEngine,
} from '../../src/agent/engine.js';
import { OfflineEngine } from '../../src/agent/engines/offline-engine.js';
import type { SuggestibleField, Suggestion } from '../../src/domain/suggestion.js';

/** Never settles until the job is cancelled: stands for a model call that takes as long as the test needs. */
const untilAborted = (signal: AbortSignal) =>
  new Promise<never>((_, reject) => {
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });

/**
 * A predictable engine for testing the job machinery: it tags every scenario "improved", sets the
 * first message to the request, and, when the request says "slow", waits until it is aborted
 * ("outage" fails as an unreachable model does).
 * Instructions echo the request ("explode" throws, "empty" answers without instructions).
 * Calls are recorded so tests can see what an engine was shown.
 */
export class ScriptedEngine implements ScenarioEngine {
  readonly name = 'scripted';
  calls: ImproveInput[] = [];
  clarifyCalls: ClarifyInput[] = [];
  instructionsCalls: InstructionsInput[] = [];
  started = 0;
  constructor(
    readonly batchSize = 2,
    readonly concurrency = 2,
  ) {}

  async improve(input: ImproveInput): Promise<ImproveOutput> {
    this.calls.push(input);
    this.started++;
    if (input.userMessage.includes('slow')) {
      await untilAborted(input.signal);
    }
    if (input.userMessage.includes('explode') && input.scenarios.some((s) => s.name.includes('bomb'))) throw new Error('model exploded');
    // What a provider's outage looks like to the job: an error of a passing cause.
    if (input.userMessage.includes('outage')) throw Object.assign(new Error('The model could not be reached.'), { retryable: true });
    const suggest = (scenario_id: number, revision: number, fields: Record<string, unknown>): Suggestion => ({
      scenario_id,
      based_on_revision: revision,
      changes: Object.entries(fields).map(([field, value]) => ({ field: field as SuggestibleField, value })),
      notes: [],
    });
    const suggestions = input.scenarios.map((s) =>
      suggest(
        s.id,
        s.revision,
        input.userMessage.includes('invalid')
          ? { max_duration: 5, tags: [...s.tags, 'improved'] }
          : input.userMessage.includes('outsider')
            ? { tags: ['x'] }
            : { tags: [...new Set([...s.tags, 'improved'])], first_message: input.userMessage },
      ),
    );
    if (input.userMessage.includes('outsider')) suggestions.push(suggest(999_999, 1, { tags: ['stolen'] }));
    return {
      message: `Improved ${input.scenarios.length} scenario(s).`,
      suggestions,
      notDone: [],
      usage: { input_tokens: 10, output_tokens: 5, model_calls: 1 },
    };
  }

  async clarify(input: ClarifyInput): Promise<ClarifyOutput> {
    this.clarifyCalls.push(input);
    if (input.userMessage === 'vague' && input.answers.length === 0) {
      return { message: 'I need to know more.', needsClarification: true, questions: ['Which situations?'], drafts: [] };
    }
    const personality = input.context.personalities[0]!.id;
    return {
      message: `Drafted ${input.numScenarios} scenario(s).`,
      needsClarification: false,
      questions: [],
      drafts: Array.from({ length: input.numScenarios }, (_, i) => ({
        scenario: {
          name: `Draft ${i + 1}`,
          personality,
          scenario_language: 'en' as const,
          tags: ['generated'],
          tool_ids: ['TOOL_END_CALL'],
          first_message: 'Hello',
          instructions: `Ask about topic ${i + 1}.`,
          expected_outcome_prompt: 'The agent answers.',
          information_fields: {},
        },
        reason: `Topic ${i + 1}.`,
        sources: [],
      })),
    };
  }

  async instructions(input: InstructionsInput): Promise<InstructionsOutput> {
    this.instructionsCalls.push(input);
    if (input.userMessage.includes('slow')) {
      await untilAborted(input.signal);
    }
    if (input.userMessage.includes('explode')) throw new Error('model exploded');
    if (input.userMessage.includes('empty')) return { message: 'Nothing to say.' };
    if (input.scenario.scenario_type === 'conditional_actions') {
      return {
        message: 'Wrote conditional actions.',
        conditionalActions: {
          role: input.scenario.name,
          conditions: [{ id: 0, condition: 'FIRST_MESSAGE', action: 'Hello', type: 'standard', fixed_message: true }],
        },
      };
    }
    const base = input.mode === 'improve' ? input.scenario.instructions : `Be a caller for "${input.scenario.name}".`;
    return {
      message: 'Wrote instructions.',
      instructions: [base, input.userMessage].filter(Boolean).join('\n'),
      // Offered whether or not the scenario has one: only a scenario without one may take it.
      expectedOutcomePrompt: 'The agent resolves the request.',
      usage: { input_tokens: 3, output_tokens: 2, model_calls: 1 },
    };
  }
}

/**
 * The offline engine, one scenario per batch and a pause per batch, so a job has progress to show
 * while it runs; improve requests that say "slow" or "outage" go to the scripted engine, and drafts asked for
 * "slow"ly wait too, both until cancelled. `before` may hold an improve call until a test lets it go.
 */
export function pacedEngine(pauseMs: number, before?: (input: ImproveInput) => Promise<void> | undefined): ScenarioEngine {
  const offline = new OfflineEngine();
  const scripted = new ScriptedEngine();
  return {
    name: 'paced',
    batchSize: 1,
    concurrency: 1,
    async improve(input) {
      if (input.userMessage.includes('slow') || input.userMessage.includes('outage')) return scripted.improve(input);
      await before?.(input);
      await new Promise((r) => setTimeout(r, pauseMs));
      return offline.improve(input);
    },
    async clarify(input) {
      if (input.userMessage.includes('slow')) await untilAborted(input.signal);
      return offline.clarify(input);
    },
    instructions: (input) => offline.instructions(input),
  };
}

/**
 * Suggests two fields for every scenario, as one batch: the instructions made specific (" Give the
 * account number." added) and the tag "reviewed"; drafts and instructions as the offline engine.
 */
export function twoFieldEngine(): ScenarioEngine {
  const offline = new OfflineEngine();
  return {
    name: 'two-fields',
    batchSize: 10,
    concurrency: 1,
    async improve(input: ImproveInput): Promise<ImproveOutput> {
      return {
        message: `Suggested changes to ${input.scenarios.length} scenario(s).`,
        suggestions: input.scenarios.map((s) => ({
          scenario_id: s.id,
          based_on_revision: s.revision,
          changes: [
            { field: 'instructions' as SuggestibleField, value: `${s.instructions} Give the account number.` },
            { field: 'tags' as SuggestibleField, value: [...s.tags, 'reviewed'] },
          ],
          notes: [],
        })),
        notDone: [],
        usage: { input_tokens: 1, output_tokens: 1, model_calls: 1 },
      };
    },
    clarify: (input) => offline.clarify(input),
    instructions: (input) => offline.instructions(input),
  };
}

/** A scenario as an engine is handed it, at revision 1; `over` replaces any field. */
export const plannerScenario = (id: number, over: Partial<PlannerScenario> = {}): PlannerScenario => ({
  id,
  revision: 1,
  name: `Scenario ${id}`,
  agent: 7,
  agent_name: 'Billing line',
  personality: 1,
  personality_name: 'Normal Male',
  tags: [],
  tool_ids: [],
  first_message: '',
  instructions: `Ask about bill ${id}.`,
  conditional_actions: null,
  simulation_description: '',
  information_fields: {},
  expected_outcome_prompt: '',
  scenario_language: 'en',
  scenario_type: 'instruction',
  folder_path: null,
  max_duration: null,
  ...over,
});
