import type { Command } from 'commander';
import type { SessionDetail, SessionSummary } from '../../client/index.js';
import { type ConnectionOptions, clientFrom, printJson, withConnection } from '../connection.js';
import { CliExit, EXIT, exitingAction } from '../exit-codes.js';
import { chosenProject } from '../refs.js';
import { type Style, styleFor, table } from '../terminal.js';

const when = (iso: string) => iso.replace('T', ' ').replace(/:\d\d(\.\d+)?Z$/, 'Z');

function renderList(sessions: SessionSummary[]): string {
  if (!sessions.length) return 'No sessions in this project yet.';
  return table([
    ['ID', 'STATUS', 'MESSAGES', 'UPDATED', 'TITLE'],
    ...sessions.map((s) => [String(s.id), s.status, s.message_count, when(s.updated_at), s.title || '(untitled)']),
  ]);
}

function renderSession(s: SessionDetail, style: Style): string {
  const lines = [
    style.bold(`Session ${s.id}: ${s.title || '(untitled)'}`),
    `status ${s.status} · project ${s.project ?? '-'} · ${s.message_count} messages · scenarios ${s.scenario_ids.join(', ') || '-'}`,
  ];
  // The id `scenarist cancel` and `scenarist apply` take, so the latest job can be acted on from here.
  if (s.latest_progress_id) lines.push(`latest job: ${s.latest_job_kind} ${s.latest_progress_id} (${s.latest_job_status})`);
  lines.push('');
  for (const turn of s.conversation_history) {
    const who = turn.role === 'user' ? style.bold('you:  ') : style.bold('agent:');
    const [first = '', ...rest] = turn.content.split('\n');
    lines.push(`${style.dim(when(turn.timestamp))} ${who} ${first}`, ...rest.map((l) => `${' '.repeat(25)}${l}`));
    for (const call of turn.tool_calls) {
      const status = typeof call.status === 'string' ? ` (${call.status})` : '';
      lines.push(style.dim(`${' '.repeat(25)}→ ${String(call.name ?? 'tool call')}${status}`));
    }
  }
  return lines.join('\n');
}

export function registerSessions(program: Command): void {
  const sessions = program.command('sessions').description('The conversations with the scenario agent: what was asked and answered.');

  const list = withConnection(
    sessions
      .command('list')
      .description("List a project's sessions, newest first.")
      .option('--project <id|name>', 'the project (default: SCENARIST_PROJECT, scenarist.yaml, or the only one)'),
  );
  list.addHelpText('after', '\nExample:\n  scenarist sessions list --project 1');
  exitingAction(list, async (opts: ConnectionOptions & { project?: string }) => {
    const client = clientFrom(opts);
    const project = await chosenProject(client, opts.project);
    const items = await client.sessions.list(project.id);
    if (opts.json) printJson(items);
    else process.stdout.write(`${renderList(items)}\n`);
  });

  const show = withConnection(sessions.command('show').description('Show one session and its conversation.').argument('<id>', 'the session id'));
  show.addHelpText('after', '\nExample:\n  scenarist sessions show 3');
  exitingAction(show, async (id: string, opts: ConnectionOptions) => {
    const client = clientFrom(opts);
    if (!/^\d{1,10}$/.test(id)) throw new CliExit(EXIT.usage, `Not a session id: "${id}".`);
    const session = await client.sessions.get(Number(id));
    if (opts.json) printJson(session);
    else process.stdout.write(`${renderSession(session, styleFor(process.stdout))}\n`);
  });
}
