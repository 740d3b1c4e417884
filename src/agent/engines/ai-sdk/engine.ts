import { generateText, jsonSchema, type LanguageModelUsage, type ModelMessage, NoObjectGeneratedError, Output, type Schema, type ToolSet, tool } from 'ai';
import { addUsage, emptyUsage, type TokenUsage } from '../../../domain/jobs.js';
import { ConditionalActionsSchema, checkScenarioRules, EMPTY_SCENARIO, fieldValueErrors, type ScenarioFields } from '../../../domain/scenario.js';
import type { Draft, HeldToolCall, NotDone, ValidationIssue } from '../../../domain/suggestion.js';
import {
  BudgetStopped,
  type CallGate,
  type ClarifyInput,
  type ClarifyOutput,
  type ClarifyRound,
  type ImproveInput,
  type ImproveOutput,
  type InstructionsInput,
  type InstructionsOutput,
  type ScenarioEngine,
} from '../../engine.js';
import { type CallPolicy, ModelCallError } from './call-policy.js';
import { CLARIFY_ROUND, expectedOutput, inputTokens } from './estimate.js';
import { CLARIFY_KNOWLEDGE_CHARS, IMPROVE_KNOWLEDGE_CHARS, knowledgeWithinBudget } from './knowledge.js';
import { askAgentDescription, type RenderedPrompt, renderClarifyPrompt, renderImprovePrompt, renderInstructionsPrompt, renderReask } from './prompts.js';
import type { ModelSetup } from './provider.js';
import { type ClarifyAnswer, clarifySchema, type ImproveAnswer, type InstructionsAnswer, improveSchema, instructionsSchema } from './schemas.js';

export interface AiSdkEngineOptions {
  setup: ModelSetup;
  policy: CallPolicy;
  batchSize: number;
  /** Batches of one job in flight at once; the policy's semaphore bounds all jobs together. */
  concurrency: number;
  /** Characters of knowledge-base text a clarify prompt may carry. */
  knowledgeChars?: number;
  /** Characters of knowledge-base text an improve batch may carry, when the request draws on it. */
  improveKnowledgeChars?: number;
  /** Sampling temperature and output-token budget of every call (configuration). */
  temperature?: number;
  maxOutputTokens?: number;
}

const ASK_AGENT = 'ask_which_agent';

/** One answer from the model: the parsed output, the tool calls it held, or why it could not be read. */
interface Answer<T> {
  output: T | null;
  toolCalls: Array<{ toolCallId: string; toolName: string; input: unknown }>;
  unreadable: string | null;
  text: string;
}

const issueText = (i: ValidationIssue) => `${[i.scenario_id !== null ? `scenario ${i.scenario_id}` : null, i.field].filter(Boolean).join(', ')}: ${i.message}`;

const tokens = (u: LanguageModelUsage | undefined) => ({
  input_tokens: u?.inputTokens ?? 0,
  output_tokens: u?.outputTokens ?? 0,
  // Part of the input the provider served from its prompt cache (billed cheaper).
  cached_input_tokens: u?.inputTokenDetails?.cacheReadTokens ?? 0,
});

/**
 * The engine on a language model, through the Vercel AI SDK: structured output bounded to the
 * job's scenarios and writable fields, one re-ask with the validation problems listed, and every
 * call made under the call policy (timeout, retries, process-wide limit, cancellation).
 */
export class AiSdkEngine implements ScenarioEngine {
  readonly name: string;
  readonly batchSize: number;
  readonly concurrency: number;
  readonly #opts: AiSdkEngineOptions;

  constructor(opts: AiSdkEngineOptions) {
    this.#opts = opts;
    this.name = opts.setup.name;
    this.batchSize = opts.batchSize;
    this.concurrency = opts.concurrency;
  }

  async improve(input: ImproveInput): Promise<ImproveOutput> {
    // Tools and schema come before the messages in what providers cache: both are the job's, not the batch's.
    const job = input.selection?.length ? input.selection : input.scenarios;
    const needing = job.filter((s) => s.agent === null).map((s) => s.id);
    const tools: ToolSet | undefined = needing.length
      ? {
          [ASK_AGENT]: tool({
            description: askAgentDescription(needing, input.context),
            inputSchema: jsonSchema<{ scenario_ids: number[]; question: string }>({
              type: 'object',
              properties: { scenario_ids: { type: 'array', items: { type: 'integer', enum: needing } }, question: { type: 'string' } },
              required: ['scenario_ids', 'question'],
              additionalProperties: false,
            }),
          }),
        }
      : undefined;
    const run = new Conversation(
      this.#opts,
      input.signal,
      renderImprovePrompt({ ...input, knowledgeChars: this.#opts.improveKnowledgeChars ?? IMPROVE_KNOWLEDGE_CHARS }),
      improveSchema(),
      { tools, budget: input.budget, outputTokens: expectedOutput.improve(input.scenarios) },
    );

    const agentQuestion = (a: Answer<unknown>) => {
      const held = a.toolCalls.filter((c) => c.toolName === ASK_AGENT);
      if (!held.length) return null;
      const asked = held.flatMap((c) =>
        ((c.input as { scenario_ids?: unknown[] })?.scenario_ids ?? []).filter((id): id is number => needing.includes(id as number)),
      );
      if (!asked.length) return null;
      const toolCalls: HeldToolCall[] = held.map((c) => ({
        id: c.toolCallId,
        name: c.toolName,
        arguments: { ...(c.input as object), user_message: input.userMessage },
      }));
      const question =
        held.map((c) => (c.input as { question?: unknown }).question).find((q): q is string => typeof q === 'string' && q.trim() !== '') ??
        'Which agent do these scenarios test?';
      return { question, scenarioIds: [...new Set(asked)].sort((a, b) => a - b), toolCalls };
    };
    const revisions = new Map(input.scenarios.map((s) => [s.id, s.revision]));
    const inJob = new Set(job.map((s) => s.id));
    // The schema does not bound the ids (it is the same for every batch): a change to a scenario
    // of another batch, which this call was never shown, is left out here. Ids outside the job
    // are the job's check to refuse, as it refuses them from any engine.
    const otherBatch = (id: number) => !revisions.has(id) && inJob.has(id);
    const suggestionsOf = (a: ImproveAnswer) =>
      a.suggestions.filter((s) => !otherBatch(s.scenario_id)).map((s) => ({ ...s, based_on_revision: revisions.get(s.scenario_id) ?? null }));
    const issuesOf = (a: ImproveAnswer): ValidationIssue[] => [
      ...a.issues,
      ...a.suggestions
        .filter((s) => otherBatch(s.scenario_id))
        .map((s) => ({
          scenario_id: s.scenario_id,
          field: null,
          message: `Scenario ${s.scenario_id} was not sent with this request; only the scenarios shown may change.`,
        })),
    ];
    const problems = (a: Answer<ImproveAnswer>) => {
      if (!a.output) return [a.unreadable ?? 'The answer was empty.'];
      return [...issuesOf(a.output), ...(input.check?.(suggestionsOf(a.output)) ?? [])].map(issueText);
    };

    const final = await run.askWithOneRetry(problems, agentQuestion);
    const question = agentQuestion(final);
    if (question) return { message: question.question, suggestions: [], notDone: [], agentQuestion: question, usage: run.usage };
    const answer = final.output!;
    return { message: answer.message, suggestions: suggestionsOf(answer), notDone: answer.notDone, issues: issuesOf(answer), usage: run.usage };
  }

  /**
   * Drafts in rounds of at most CLARIFY_ROUND, each told the names already drafted, so a request for
   * many scenarios never needs one answer longer than a model can write. Each finished round is
   * handed to `onRound`; the rounds in `rounds` (an earlier run's) are taken as they are.
   */
  async clarify(input: ClarifyInput): Promise<ClarifyOutput> {
    const { chunks, omittedChars } = knowledgeWithinBudget(input.context.knowledgeBase, this.#opts.knowledgeChars ?? CLARIFY_KNOWLEDGE_CHARS);
    const fileIds = [...new Set(chunks.map((c) => c.file_id))];
    const schema = clarifySchema(input.context, fileIds);
    const drafts: Draft[] = [];
    const messages: string[] = [];
    const notDone: NotDone[] = [];
    let usage = emptyUsage();
    let budgetStop: string | undefined;
    const take = (round: ClarifyRound) => {
      usage = addUsage(usage, round.usage);
      if (!round.drafts.length) return;
      drafts.push(...round.drafts);
      for (const n of round.notDone) if (!notDone.some((x) => x.part === n.part)) notDone.push(n);
      if (round.message && !messages.includes(round.message)) messages.push(round.message);
    };
    const kept = [...(input.rounds ?? [])];
    while (drafts.length < input.numScenarios) {
      const want = Math.min(CLARIFY_ROUND, input.numScenarios - drafts.length);
      let round = kept.shift();
      if (!round) {
        const prompt = renderClarifyPrompt({ ...input, numScenarios: want, knowledge: chunks, omittedChars, drafted: drafts.map((d) => d.scenario.name) });
        const run = new Conversation(this.#opts, input.signal, prompt, schema, { budget: input.budget, outputTokens: expectedOutput.clarifyRound(want) });
        let final: Answer<ClarifyAnswer>;
        try {
          final = await run.askWithOneRetry((a) => {
            if (!a.output) return [a.unreadable ?? 'The answer was empty.'];
            if (a.output.needsClarification) return [];
            const out = (input.check?.(a.output.drafts) ?? []).map(issueText);
            if (a.output.drafts.length < want) out.push(`Asked for ${want} scenario(s); the answer has ${a.output.drafts.length}.`);
            return out;
          });
        } catch (err) {
          const spent = addUsage(usage, (err as { usage?: Partial<TokenUsage> }).usage);
          // A later round failing keeps the drafts already made; the first failing fails the request.
          if (!drafts.length || input.signal.aborted) throw Object.assign(err as object, { usage: spent });
          usage = spent;
          const why = err instanceof Error ? err.message : String(err);
          if (err instanceof BudgetStopped) budgetStop = why;
          messages.push(`Only ${drafts.length} of ${input.numScenarios} scenario(s) could be drafted: ${why}`);
          notDone.push({ part: `${input.numScenarios - drafts.length} more draft(s)`, reason: why });
          break;
        }
        const answer = final.output!;
        const asks = answer.needsClarification && !drafts.length;
        round = {
          drafts: asks || answer.needsClarification ? [] : answer.drafts.slice(0, want),
          message: asks ? answer.message || 'I need to know more first.' : answer.message,
          notDone: answer.notDone,
          ...(asks ? { questions: answer.questions } : {}),
          usage: run.usage,
        };
        await input.onRound?.(round);
      }
      if (round.questions) {
        return {
          message: round.message,
          needsClarification: true,
          questions: round.questions,
          drafts: [],
          notDone: round.notDone,
          usage: addUsage(usage, round.usage),
        };
      }
      take(round);
      // A model that asks in a later round, or drafts nothing, has no more to give.
      if (!round.drafts.length) break;
    }
    return {
      message: messages.join('\n\n') || `Drafted ${drafts.length} scenario(s).`,
      needsClarification: false,
      questions: [],
      drafts,
      notDone,
      ...(budgetStop ? { budgetStop } : {}),
      usage,
    };
  }

  async instructions(input: InstructionsInput): Promise<InstructionsOutput> {
    const conditional = input.scenario.scenario_type === 'conditional_actions';
    const run = new Conversation(this.#opts, input.signal, renderInstructionsPrompt(input), instructionsSchema(conditional), {
      budget: input.budget,
      outputTokens: expectedOutput.instructions(input.scenario),
    });
    const read = (a: Answer<InstructionsAnswer>) => {
      if (!a.output) return { problems: [a.unreadable ?? 'The answer was empty.'] };
      const o = a.output;
      if (conditional) {
        const errors = fieldValueErrors('conditional_actions', o.conditionalActions ?? null).map((m) => `conditional_actions: ${m}`);
        if (!o.conditionalActions) errors.push('conditional_actions: missing.');
        if (errors.length) return { problems: errors };
        const actions = ConditionalActionsSchema.parse(o.conditionalActions);
        const rules = checkScenarioRules({
          ...EMPTY_SCENARIO,
          name: 'x',
          personality: 1,
          scenario_type: 'conditional_actions',
          conditional_actions: actions,
        } as ScenarioFields);
        return rules.empty ? { conditionalActions: actions, problems: [] } : { problems: Object.entries(rules.fields).map(([f, m]) => `${f}: ${m.join(' ')}`) };
      }
      const errors = fieldValueErrors('instructions', o.instructions).map((m) => `instructions: ${m}`);
      if (!errors.length && !(o.instructions as string).trim()) errors.push('instructions: must not be empty.');
      return errors.length ? { problems: errors } : { instructions: o.instructions as string, problems: [] };
    };
    const final = await run.askWithOneRetry((a) => read(a).problems);
    const result = read(final);
    if (result.problems.length) {
      throw Object.assign(
        new Error(`The model's ${conditional ? 'conditional actions' : 'instructions'} did not pass validation: ${result.problems.join('; ')}`),
        { usage: run.usage },
      );
    }
    const outcome = final.output!.expectedOutcomePrompt;
    const expected =
      !input.scenario.expected_outcome_prompt.trim() &&
      typeof outcome === 'string' &&
      outcome.trim() &&
      !fieldValueErrors('expected_outcome_prompt', outcome).length
        ? outcome
        : undefined;
    return {
      message: final.output!.message || (conditional ? 'Wrote conditional actions.' : 'Wrote instructions.'),
      ...(result.instructions !== undefined ? { instructions: result.instructions } : {}),
      ...(result.conditionalActions ? { conditionalActions: result.conditionalActions } : {}),
      ...(expected ? { expectedOutcomePrompt: expected } : {}),
      notDone: final.output!.notDone,
      usage: run.usage,
    };
  }
}

/** One exchange with the model for one engine call: its messages so far and what it has cost. */
class Conversation<T> {
  usage: TokenUsage = emptyUsage();
  readonly #messages: ModelMessage[];
  readonly tools: ToolSet | undefined;

  constructor(
    readonly opts: AiSdkEngineOptions,
    readonly signal: AbortSignal,
    readonly prompt: RenderedPrompt,
    readonly schema: Schema<T>,
    /** `budget` is asked before every call, with its input as sent and `outputTokens` as its expected answer. */
    readonly call: { tools?: ToolSet; budget?: CallGate; outputTokens?: number } = {},
  ) {
    this.tools = call.tools;
    // The conversation so far as real turns: the user's own earlier requests are the user's.
    this.#messages = [...(prompt.history ?? []).map((t) => ({ role: t.role, content: t.content }) as ModelMessage), { role: 'user', content: prompt.prompt }];
  }

  /**
   * Asks; when the answer cannot be used, asks once more with the problems listed. Returns the
   * second answer when it can be read (what is still invalid is the job's to drop and report),
   * else the first; fails only when neither could be read at all.
   */
  async askWithOneRetry(problems: (a: Answer<T>) => string[], held?: (a: Answer<T>) => unknown): Promise<Answer<T>> {
    const first = await this.#ask();
    if (held?.(first)) return first;
    const found = problems(first);
    if (!found.length) return first;
    this.#messages.push({ role: 'assistant', content: first.text || '(no answer)' }, { role: 'user', content: renderReask(found) });
    const second = await this.#ask();
    if (second.output || held?.(second)) return second;
    if (first.output) return first;
    throw Object.assign(new Error(`The model's answer could not be read, twice: ${second.unreadable ?? first.unreadable}`), { usage: this.usage });
  }

  /** Asks once, after the budget allowed the call; what the call used settles its promise, answered or not. */
  async #ask(): Promise<Answer<T>> {
    const budget = this.call.budget;
    if (!budget) return this.#send();
    const estimate = {
      model_calls: 1,
      input_tokens: inputTokens(
        this.prompt.system,
        this.#messages.map((m) => (typeof m.content === 'string' ? m.content : JSON.stringify(m.content))),
        this.schema,
      ),
      output_tokens: this.call.outputTokens ?? 0,
    };
    const refused = budget.reserve(estimate);
    if (refused) throw new BudgetStopped(refused, this.usage);
    const before = this.usage;
    try {
      return await this.#send();
    } finally {
      budget.settle(estimate, {
        input_tokens: this.usage.input_tokens - before.input_tokens,
        output_tokens: this.usage.output_tokens - before.output_tokens,
        cached_input_tokens: this.usage.cached_input_tokens - before.cached_input_tokens,
      });
    }
  }

  async #send(): Promise<Answer<T>> {
    const { setup, policy } = this.opts;
    try {
      const { value, attempts } = await policy.run(this.signal, (signal) =>
        generateText({
          model: setup.model,
          // The shared prefix, marked for the provider's prompt cache where it needs a mark.
          system: { role: 'system', content: this.prompt.system, ...(setup.prefixOptions ? { providerOptions: setup.prefixOptions } : {}) },
          messages: this.#messages,
          output: Output.object({ schema: this.schema }),
          ...(this.tools ? { tools: this.tools } : {}),
          abortSignal: signal,
          ...(this.opts.temperature !== undefined ? { temperature: this.opts.temperature } : {}),
          ...(this.opts.maxOutputTokens !== undefined ? { maxOutputTokens: this.opts.maxOutputTokens } : {}),
          // Retries are the policy's, so they are counted, spaced and bounded in one place.
          maxRetries: 0,
          providerOptions: setup.providerOptions,
        }).then(
          (r) => ({ result: r, error: null }),
          (e: unknown) => {
            if (NoObjectGeneratedError.isInstance(e)) return { result: null, error: e };
            throw e;
          },
        ),
      );
      if (value.error) {
        this.usage = addUsage(this.usage, { ...tokens(value.error.usage), model_calls: attempts });
        const why = value.error.cause instanceof Error ? value.error.cause.message : value.error.message;
        return { output: null, toolCalls: [], unreadable: `The answer is not the JSON object asked for (${why.slice(0, 300)}).`, text: value.error.text ?? '' };
      }
      const r = value.result!;
      this.usage = addUsage(this.usage, { ...tokens(r.totalUsage), model_calls: attempts });
      const toolCalls = r.toolCalls.map((c) => ({ toolCallId: c.toolCallId, toolName: c.toolName, input: c.input }));
      let output: T | null = null;
      try {
        output = r.output as T;
      } catch {
        // No structured output (the model only called a tool, or said nothing): handled by the caller.
      }
      return { output: output ?? null, toolCalls, unreadable: output ? null : 'The answer had no JSON object.', text: r.text };
    } catch (err) {
      if (err instanceof ModelCallError) {
        // What the earlier calls of this exchange cost is reported with the failure.
        this.usage = addUsage(this.usage, err.usage);
        throw new ModelCallError(err.message, err.attempts, this.usage, { cause: err.cause, fatal: err.fatal, retryable: err.retryable });
      }
      throw err;
    }
  }
}
