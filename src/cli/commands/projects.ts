import type { Command } from 'commander';
import { type ConnectionOptions, clientFrom, printJson, withConnection } from '../connection.js';
import { exitingAction } from '../exit-codes.js';
import { table } from '../terminal.js';

export function registerProjects(program: Command): void {
  const projects = program.command('projects').description('The projects of your organization.');

  const list = withConnection(projects.command('list').description('List the projects, with their ids.'));
  exitingAction(list, async (opts: ConnectionOptions) => {
    const items = await clientFrom(opts).projects.list();
    if (opts.json) return void printJson(items);
    process.stdout.write(
      `${table([['ID', 'NAME', 'DESCRIPTION'], ...items.map((p) => [String(p.id), p.name, p.description.split('\n')[0]!.slice(0, 80)])])}\n`,
    );
  });

  const create = withConnection(
    projects.command('create').description('Create a project.').argument('<name>', 'its name').option('--description <text>', 'what it is for'),
  ).addHelpText('after', '\nExample:\n  scenarist projects create "Billing line" --description "Acme Telecom billing agents"');
  exitingAction(create, async (name: string, opts: ConnectionOptions & { description?: string }) => {
    const p = await clientFrom(opts).projects.create({ name, ...(opts.description !== undefined ? { description: opts.description } : {}) });
    if (opts.json) return void printJson(p);
    process.stdout.write(`Created project ${p.id} (${p.name}).\n`);
  });
}
