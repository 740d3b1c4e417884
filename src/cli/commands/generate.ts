import type { Command } from 'commander';
import type { ApplyResult, ClarifyResult, Progress } from '../../client/index.js';
import { renderDraft, renderIssues } from '../../domain/suggestion-text.js';
import { applyOutcome, applySuggestions } from '../apply-changes.js';
import { integerIn } from '../arguments.js';
import { type ConnectionOptions, clientFrom, printJson, withConnection } from '../connection.js';
import { CliExit, EXIT, exitingAction } from '../exit-codes.js';
import { unfinished, waitWithProgress } from '../job-progress.js';
import { uploadDeduplicated } from '../kb-upload.js';
import { Prompter } from '../prompt.js';
import { chosenAgentRef, personalityBook, resolveAgent } from '../refs.js';
import { plural, styleFor } from '../terminal.js';

interface GenerateOptions extends ConnectionOptions {
  agent?: string;
  count: number;
  kb: string[];
  yes?: boolean;
  apply: boolean;
}

/** Rounds of questions before giving up: the agent should not ask forever. */
const MAX_ROUNDS = 3;

export function registerGenerate(program: Command): void {
  const cmd = withConnection(
    program
      .command('generate')
      .description(
        "Draft new scenarios for an agent from its description, knowledge-base files and your request; answer the agent's questions, review the drafts, then create them.",
      )
      .argument('[request]', 'what the scenarios should cover, e.g. "billing disputes and cancellations"', '')
      .option('--agent <id|name>', 'the agent under test (default: SCENARIST_AGENT or `agent:` in scenarist.yaml)')
      .option('-n, --count <n>', 'how many scenarios to draft (1-100)', integerIn(1, 100), 5)
      .option(
        '--kb <file>',
        'a knowledge-base file (.txt, .md, .json, .csv, .xml, .pdf) to upload to the agent first; repeat for more',
        (file: string, files: string[]) => [...files, file],
        [] as string[],
      )
      .option('-y, --yes', 'create the drafts without asking')
      .option('--no-apply', 'only show the drafts; create nothing'),
  ).addHelpText(
    'after',
    `
Examples:
  scenarist generate --agent "Billing line" -n 3 --kb faq.md --kb prices.pdf "refunds and roaming"
  printf 'Billing questions\\nEnglish\\n' | scenarist generate --agent 1 --yes

Questions from the agent are read from stdin, one answer per line, so answers can be piped in.`,
  );
  exitingAction(cmd, async (request: string, opts: GenerateOptions) => {
    const client = clientFrom(opts);
    const style = styleFor(process.stdout);
    const say = (text: string) => process.stdout.write(opts.json ? '' : `${text}\n`);
    if (opts.yes && !opts.apply) throw new CliExit(EXIT.usage, '--yes and --no-apply contradict each other.');
    const agentRef = chosenAgentRef(opts.agent);
    if (!agentRef)
      throw new CliExit(EXIT.usage, 'Say which agent: --agent <id|name>, SCENARIST_AGENT, or `agent:` in scenarist.yaml (`scenarist agents list` shows them).');
    const agent = await resolveAgent(client, agentRef);
    const uploads = (await uploadDeduplicated(client, { agent: agent.id }, opts.kb)).map((u) => {
      const f = u.file;
      say(
        u.uploaded
          ? `Uploaded ${f.file_name} (knowledge-base file #${f.id}, ${f.text_length} characters of text).`
          : `${f.file_name} is already knowledge-base file #${f.id}; not uploaded again.`,
      );
      return f;
    });

    const prompter = new Prompter();
    try {
      let sessionId: number | undefined;
      let message = request;
      let done: Progress<ClarifyResult> | undefined;
      for (let round = 0; ; round++) {
        const started = await client.scenarioAgent.clarify({
          agent_id: agent.id,
          user_message: message,
          num_scenarios: opts.count,
          knowledge_base: uploads.map((f) => f.id),
          session_id: sessionId,
        });
        sessionId = started.session_id;
        done = await waitWithProgress<ClarifyResult>(client, started.progress_id, 'Drafting');
        const failed = unfinished(done);
        if (failed) throw failed;
        if (done.status !== 'needs_clarification') break;
        if (round + 1 >= MAX_ROUNDS)
          throw new CliExit(EXIT.failure, `The agent still has questions after ${MAX_ROUNDS} rounds; add detail to the request or knowledge-base files.`);
        const r = done.result!;
        process.stderr.write(`${r.user_message}\n`);
        const answers: string[] = [];
        for (const q of r.clarification_questions) {
          const answer = await prompter.ask(`${q.id}. ${q.question}\n> `);
          if (answer === null) break;
          if (answer.trim()) answers.push(answer.trim());
        }
        if (!answers.length) {
          throw new CliExit(
            EXIT.usage,
            'The agent needs answers to continue: run at a terminal, pipe the answers to stdin (one per line), or say more in the request.',
          );
        }
        message = answers.join('\n');
      }

      const result = done.result!;
      const drafts = result.updated_scenarios;
      const book = await personalityBook(client, agent.project);
      say(
        [
          result.user_message,
          '',
          ...drafts.flatMap((d, i) => [renderDraft(d, i + 1, { style, personalities: book }), '']),
          ...renderIssues(result.validation_issues, style),
        ].join('\n'),
      );
      if (!drafts.length) {
        if (opts.json) printJson({ generate: done, apply: null });
        return EXIT.failure;
      }
      const create =
        opts.apply &&
        (opts.yes || (await prompter.confirm(`Create ${plural(drafts.length, 'scenario')} for ${agent.agent_name} in project ${agent.project}?`)));
      prompter.close();
      if (!create) {
        process.stderr.write(`Nothing created (session ${done.session_id}): \`scenarist apply ${done.progress_id}\` creates these.\n`);
        if (opts.json) printJson({ generate: done, apply: null });
        return EXIT.ok;
      }
      const applied: Progress<ApplyResult> = await applySuggestions(client, drafts, { sessionId: done.session_id, projectId: agent.project, style });
      const outcome = applyOutcome(applied, style);
      if (opts.json) printJson({ generate: done, apply: applied });
      else {
        const ids = applied.result?.created_scenario_ids ?? [];
        const names = ids.map((id, i) => `  #${id} ${drafts[i]?.name ?? ''}`);
        process.stdout.write(`${[...outcome.lines, ...names].join('\n')}\n`);
      }
      return outcome.code;
    } finally {
      prompter.close();
    }
  });
}
