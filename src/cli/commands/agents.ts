import fs from 'node:fs';
import type { Command } from 'commander';
import type { AiAgent, AiAgentUpdate } from '../../client/index.js';
import { type ConnectionOptions, clientFrom, printJson, withConnection } from '../connection.js';
import { CliExit, EXIT, exitingAction } from '../exit-codes.js';
import { chosenProject, resolveAgent } from '../refs.js';
import { table } from '../terminal.js';

interface AgentFields {
  name?: string;
  description?: string;
  descriptionFile?: string;
  language?: string;
  inbound?: boolean;
}

function fieldsFrom(opts: AgentFields): AiAgentUpdate {
  if (opts.description !== undefined && opts.descriptionFile)
    throw new CliExit(EXIT.usage, '--description and --description-file say the same thing; give one.');
  let description = opts.description;
  if (opts.descriptionFile) {
    try {
      description = fs.readFileSync(opts.descriptionFile === '-' ? 0 : opts.descriptionFile, 'utf8');
    } catch (e) {
      throw new CliExit(EXIT.usage, `Cannot read ${opts.descriptionFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  const out: AiAgentUpdate = {};
  if (opts.name !== undefined) out.agent_name = opts.name;
  if (description !== undefined) out.description = description;
  if (opts.language !== undefined) out.language = opts.language as AiAgentUpdate['language'];
  if (opts.inbound !== undefined) out.inbound = opts.inbound;
  return out;
}

function renderAgent(a: AiAgent): string {
  return [
    `Agent ${a.id}: ${a.agent_name}`,
    `project ${a.project} · language ${a.language} · ${a.inbound ? 'inbound' : 'outbound'} · knowledge-base files ${a.knowledge_base_files.join(', ') || '-'}`,
    '',
    a.description || '(no description)',
  ].join('\n');
}

const describeOptions = (cmd: Command) =>
  cmd
    .option('--description <text>', 'what the agent under test does: its purpose or system prompt')
    .option('--description-file <file>', 'the description from a file ("-": standard input)')
    .option('--language <code>', 'the language it speaks, e.g. en, de')
    .option('--inbound', 'it answers calls')
    .option('--no-inbound', 'it places calls');

export function registerAgents(program: Command): void {
  const agents = program.command('agents').description('The agents under test: list, show, create and update them.');

  const list = withConnection(
    agents
      .command('list')
      .description("List a project's agents, with their ids.")
      .option('--project <id|name>', 'the project (default: SCENARIST_PROJECT, scenarist.yaml, or the only one)'),
  );
  exitingAction(list, async (opts: ConnectionOptions & { project?: string }) => {
    const client = clientFrom(opts);
    const project = await chosenProject(client, opts.project);
    const items = await client.aiagents.all({ project_id: project.id });
    if (opts.json) return void printJson(items);
    if (!items.length)
      return void process.stdout.write(`No agents in project ${project.id} (${project.name}) yet: \`scenarist agents create <name>\` makes one.\n`);
    process.stdout.write(
      `${table([['ID', 'NAME', 'LANGUAGE', 'DESCRIPTION'], ...items.map((a) => [String(a.id), a.agent_name, a.language, a.description.split('\n')[0]!.slice(0, 70)])])}\n`,
    );
  });

  const show = withConnection(agents.command('show').description('Show one agent.').argument('<agent>', 'its id or name'));
  exitingAction(show, async (ref: string, opts: ConnectionOptions) => {
    const agent = await resolveAgent(clientFrom(opts), ref);
    if (opts.json) return void printJson(agent);
    process.stdout.write(`${renderAgent(agent)}\n`);
  });

  const create = withConnection(
    describeOptions(
      agents
        .command('create')
        .description('Create an agent under test.')
        .argument('<name>', 'its name')
        .option('--project <id|name>', 'the project (default: SCENARIST_PROJECT, scenarist.yaml, or the only one)'),
    ),
  ).addHelpText('after', '\nExample:\n  scenarist agents create "Billing line" --description "Answers billing questions for Acme Telecom."');
  exitingAction(create, async (name: string, opts: ConnectionOptions & AgentFields & { project?: string }) => {
    const client = clientFrom(opts);
    const project = await chosenProject(client, opts.project);
    const agent = await client.aiagents.create({ ...fieldsFrom(opts), project: project.id, agent_name: name });
    if (opts.json) return void printJson(agent);
    process.stdout.write(`Created agent ${agent.id} (${agent.agent_name}) in project ${project.id} (${project.name}).\n`);
  });

  const update = withConnection(
    describeOptions(
      agents.command('update').description('Change an agent under test.').argument('<agent>', 'its id or name').option('--name <name>', 'a new name'),
    ),
  );
  exitingAction(update, async (ref: string, opts: ConnectionOptions & AgentFields) => {
    const client = clientFrom(opts);
    const fields = fieldsFrom(opts);
    if (!Object.keys(fields).length)
      throw new CliExit(EXIT.usage, 'Nothing to change: give --name, --description, --description-file, --language or --inbound/--no-inbound.');
    const agent = await client.aiagents.update((await resolveAgent(client, ref)).id, fields);
    if (opts.json) return void printJson(agent);
    process.stdout.write(`Updated agent ${agent.id} (${agent.agent_name}): ${Object.keys(fields).join(', ')}.\n`);
  });
}
