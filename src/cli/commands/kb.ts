import type { Command } from 'commander';
import type { KnowledgeBaseFile } from '../../client/index.js';
import { type ConnectionOptions, clientFrom, printJson, withConnection } from '../connection.js';
import { CliExit, EXIT, exitingAction } from '../exit-codes.js';
import { uploadDeduplicated } from '../kb-upload.js';
import { chosenAgentRef, chosenProject, resolveAgent } from '../refs.js';
import { plural, table } from '../terminal.js';

interface OwnerOptions extends ConnectionOptions {
  agent?: string;
  project?: string;
}

const withOwner = (cmd: Command) =>
  cmd
    .option('--agent <id|name>', "the agent's knowledge base (default: SCENARIST_AGENT or scenarist.yaml's agent)")
    .option('--project <id|name>', "the project's own knowledge base, shared by its agents (instead of an agent's)");

/** An agent's knowledge base unless --project asks for the project's own. */
async function ownerOf(opts: OwnerOptions, client: ReturnType<typeof clientFrom>): Promise<{ owner: { agent?: number; project?: number }; label: string }> {
  if (opts.project && opts.agent) throw new CliExit(EXIT.usage, '--agent and --project name two different knowledge bases; give one.');
  if (opts.project) {
    const p = await chosenProject(client, opts.project);
    return { owner: { project: p.id }, label: `project ${p.id} (${p.name})` };
  }
  const ref = chosenAgentRef(opts.agent);
  if (!ref)
    throw new CliExit(EXIT.usage, 'Say whose knowledge base: --agent <id|name> (or SCENARIST_AGENT, or agent: in scenarist.yaml), or --project <id|name>.');
  const a = await resolveAgent(client, ref);
  return { owner: { agent: a.id }, label: `agent ${a.id} (${a.agent_name})` };
}

export function registerKb(program: Command): void {
  const kb = program.command('kb').description('Knowledge-base files the scenario agent drafts from: list, upload (each file once) and delete them.');

  const list = withConnection(withOwner(kb.command('list').description('List the files of an agent (or a project).')));
  exitingAction(list, async (opts: OwnerOptions) => {
    const client = clientFrom(opts);
    const { owner, label } = await ownerOf(opts, client);
    const items: KnowledgeBaseFile[] = [];
    for await (const f of client.paginate<KnowledgeBaseFile>('knowledge-base-files/', owner.agent ? { agent_id: owner.agent } : { project_id: owner.project }))
      items.push(f);
    if (opts.json) return void printJson(items);
    if (!items.length) return void process.stdout.write(`No knowledge-base files for ${label}.\n`);
    process.stdout.write(
      `${table([['ID', 'BYTES', 'TEXT', 'NAME'], ...items.map((f) => [String(f.id), String(f.file_size), String(f.text_length), f.file_name])])}\n`,
    );
  });

  const upload = withConnection(
    withOwner(
      kb
        .command('upload')
        .description('Upload .txt, .md, .json, .csv, .xml or .pdf files; a file whose bytes are already there is not uploaded again.')
        .argument('<files...>', 'the files'),
    ),
  );
  exitingAction(upload, async (files: string[], opts: OwnerOptions) => {
    const client = clientFrom(opts);
    const { owner, label } = await ownerOf(opts, client);
    const done = await uploadDeduplicated(client, owner, files);
    if (opts.json) return void printJson(done);
    const lines = done.map((u) =>
      u.uploaded
        ? `uploaded  #${u.file.id} ${u.file.file_name} (${u.file.text_length} characters of text)`
        : `already   #${u.file.id} ${u.file.file_name} (same bytes; not uploaded again)`,
    );
    lines.push(`${plural(done.filter((u) => u.uploaded).length, 'file')} uploaded to ${label}.`);
    process.stdout.write(`${lines.join('\n')}\n`);
  });

  const del = withConnection(
    kb.command('delete').description('Delete knowledge-base files by id (`scenarist kb list` shows them).').argument('<ids...>', 'file ids'),
  );
  exitingAction(del, async (ids: string[], opts: ConnectionOptions) => {
    const client = clientFrom(opts);
    if (!ids.every((id) => /^\d{1,10}$/.test(id))) throw new CliExit(EXIT.usage, `Not file ids: ${ids.join(' ')}.`);
    for (const id of ids) await client.knowledgeBaseFiles.delete(Number(id));
    if (opts.json) return void printJson({ deleted: ids.map(Number) });
    process.stdout.write(`Deleted ${plural(ids.length, 'knowledge-base file')}: ${ids.map((i) => `#${i}`).join(', ')}.\n`);
  });
}
