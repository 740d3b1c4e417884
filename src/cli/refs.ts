import type { AiAgent, Personality, Project, ScenaristClient } from '../client/index.js';
import { ApiError } from '../client/index.js';
import { CliExit, EXIT } from './exit-codes.js';
import { projectConfig } from './project-config.js';

const isId = (ref: string) => /^\d{1,10}$/.test(ref.trim());

/** The one item whose name is `ref` (case-insensitive), or a readable error naming the choices. */
function byName<T extends { id: number }>(kind: string, ref: string, items: T[], nameOf: (t: T) => string): T {
  const wanted = ref.trim().toLowerCase();
  const found = items.filter((i) => nameOf(i).toLowerCase() === wanted);
  if (found.length === 1) return found[0]!;
  if (found.length > 1) throw new CliExit(EXIT.usage, `Several ${kind}s are named "${ref}" (${found.map((f) => `#${f.id}`).join(', ')}); use the id.`);
  const choices = items
    .slice(0, 10)
    .map((i) => `${i.id} ${nameOf(i)}`)
    .join(', ');
  throw new CliExit(EXIT.notFound, `No ${kind} "${ref}".${choices ? ` Known: ${choices}${items.length > 10 ? ', …' : ''}.` : ''}`);
}

async function byId<T>(kind: string, ref: string, get: (id: number) => Promise<T>): Promise<T> {
  try {
    return await get(Number(ref));
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) throw new CliExit(EXIT.notFound, `No ${kind} with id ${ref}.`);
    throw e;
  }
}

/** A project by id or name. */
export async function resolveProject(client: ScenaristClient, ref: string): Promise<Project> {
  if (isId(ref)) return byId('project', ref, (id) => client.projects.get(id));
  return byName('project', ref, await client.projects.list(), (p) => p.name);
}

/** An agent by id, or by name (within a project when one is given). */
export async function resolveAgent(client: ScenaristClient, ref: string, projectId?: number): Promise<AiAgent> {
  if (isId(ref)) return byId('agent', ref, (id) => client.aiagents.get(id));
  return byName('agent', ref, await client.aiagents.all({ project_id: projectId }), (a) => a.agent_name);
}

/** Names by id for what a person reads (personalities, agents), and ids by name for what they write. */
export class NameBook<T extends { id: number }> {
  readonly #byId: Map<number, T>;
  constructor(
    readonly kind: string,
    readonly items: T[],
    readonly nameOf: (t: T) => string,
  ) {
    this.#byId = new Map(items.map((i) => [i.id, i]));
  }

  name(id: number | null | undefined): string | undefined {
    const item = id == null ? undefined : this.#byId.get(id);
    return item && this.nameOf(item);
  }

  /** The name when it identifies the item alone, else the id: what a file can refer to safely. */
  refFor(id: number): string | number {
    const name = this.name(id);
    if (name === undefined || isId(name)) return id;
    return this.items.filter((i) => this.nameOf(i).toLowerCase() === name.toLowerCase()).length === 1 ? name : id;
  }

  /** An id from an id or a name; throws CliExit for names that match none or several. */
  idFor(ref: string | number): number {
    if (typeof ref === 'number') return ref;
    if (isId(ref)) return Number(ref);
    return byName(this.kind, ref, this.items, this.nameOf).id;
  }
}

export const personalityBook = async (client: ScenaristClient, projectId?: number) =>
  new NameBook<Personality>('personality', await client.personalities.list({ project_id: projectId }), (p) => p.name);

export const agentBook = async (client: ScenaristClient, projectId?: number) =>
  new NameBook<AiAgent>('agent', await client.aiagents.all({ project_id: projectId }), (a) => a.agent_name);

/**
 * The project a command works on: the one named (--project, then SCENARIST_PROJECT, then the
 * config file), or the only project there is.
 */
export async function chosenProject(client: ScenaristClient, flag: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<Project> {
  const ref = flag ?? env.SCENARIST_PROJECT ?? projectConfig()?.project;
  if (ref) return resolveProject(client, ref);
  const all = await client.projects.list();
  if (all.length === 1) return all[0]!;
  if (!all.length) throw new CliExit(EXIT.notFound, 'There is no project yet: `scenarist projects create <name>` makes one.');
  throw new CliExit(
    EXIT.usage,
    `Say which project: --project <id|name>, SCENARIST_PROJECT or \`project:\` in scenarist.yaml (projects: ${all.map((p) => `${p.id} ${p.name}`).join(', ')}).`,
  );
}

/** The agent named by the flag, SCENARIST_AGENT or the config file, if any. */
export function chosenAgentRef(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return flag ?? env.SCENARIST_AGENT ?? projectConfig()?.agent;
}
