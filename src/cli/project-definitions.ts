import fs from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import type { AiAgent, Personality, ScenaristClient, TestProfile } from '../client/index.js';
import { LANGUAGE_CODES } from '../domain/languages.js';
import { CliExit, EXIT } from './exit-codes.js';
import { DEFINITIONS_FILE } from './scenario-repo.js';

/**
 * What scenario files refer to besides themselves, kept beside them in `_project.yaml`: the
 * project's agents, its own personalities (the predefined ones come with every server) and its
 * test profiles, all by name, so a fresh server can be rebuilt from the repository alone.
 */
const text = z.string().max(100_000);
const Definitions = z.strictObject({
  agents: z
    .array(
      z.strictObject({
        name: z.string().trim().min(1).max(255),
        description: text.optional(),
        language: z.enum(LANGUAGE_CODES).optional(),
        inbound: z.boolean().optional(),
      }),
    )
    .default([]),
  personalities: z
    .array(
      z.strictObject({
        name: z.string().trim().min(1).max(255),
        description: text.optional(),
        prompt: text.optional(),
        language: z.enum(LANGUAGE_CODES).optional(),
        accent: z.string().max(255).optional(),
      }),
    )
    .default([]),
  test_profiles: z
    .array(
      z.strictObject({
        name: z.string().trim().min(1).max(255),
        agent: z.string().nullable().optional(),
        information: z.record(z.string(), z.unknown()).optional(),
      }),
    )
    .default([]),
});
export type Definitions = z.infer<typeof Definitions>;

const HEADER =
  '# The agents, personalities and test profiles the scenario files refer to, by name.\n# `scenarist scenarios export` writes this file; `scenarist scenarios import` creates what a server lacks.\n';

export async function writeDefinitions(client: ScenaristClient, projectId: number, dir: string): Promise<{ file: string; changed: boolean }> {
  const [agents, personalities, profiles] = await Promise.all([
    client.aiagents.all({ project_id: projectId }),
    client.personalities.list({ project_id: projectId }),
    client.testProfiles.list({ project_id: projectId }),
  ]);
  const byId = new Map(agents.map((a) => [a.id, a.agent_name]));
  const defs: Definitions = {
    agents: [...agents].sort((a, b) => a.id - b.id).map((a) => ({ name: a.agent_name, description: a.description, language: a.language, inbound: a.inbound })),
    personalities: personalities
      .filter((p) => !p.is_predefined)
      .sort((a, b) => a.id - b.id)
      .map((p) => ({ name: p.name, description: p.description, prompt: p.prompt, language: p.language, accent: p.accent })),
    test_profiles: [...profiles]
      .sort((a, b) => a.id - b.id)
      .map((t) => ({ name: t.name, agent: t.agent === null ? null : (byId.get(t.agent) ?? null), information: t.information })),
  };
  const file = path.join(dir, DEFINITIONS_FILE);
  const body = HEADER + YAML.stringify(defs, { lineWidth: 0, blockQuote: 'literal' });
  const before = await fs.readFile(file, 'utf8').catch(() => null);
  if (before !== body) {
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(file, body);
  }
  return { file, changed: before !== body };
}

/** The definitions file under a directory, read and checked; null when there is none. */
export async function readDefinitions(dir: string): Promise<Definitions | null> {
  const file = path.join(dir, DEFINITIONS_FILE);
  const raw = await fs.readFile(file, 'utf8').catch(() => null);
  if (raw === null) return null;
  let parsed: unknown;
  try {
    parsed = YAML.parse(raw) ?? {};
  } catch (e) {
    throw new CliExit(EXIT.usage, `Nothing was imported:\n  ${file}: ${(e as Error).message.split('\n')[0]}`);
  }
  const checked = Definitions.safeParse(parsed);
  if (!checked.success)
    throw new CliExit(EXIT.usage, `Nothing was imported:\n${checked.error.issues.map((i) => `  ${file}: ${i.path.join('.')}: ${i.message}`).join('\n')}`);
  return checked.data;
}

export interface DefinitionsOutcome {
  created: string[];
  updated: string[];
}

/**
 * Creates the agents, personalities and test profiles a server lacks (matched by name), and
 * brings agents' descriptions up to date; nothing is deleted. In a dry run only says what it would do.
 */
export async function applyDefinitions(client: ScenaristClient, projectId: number, defs: Definitions, dryRun: boolean): Promise<DefinitionsOutcome> {
  const out: DefinitionsOutcome = { created: [], updated: [] };
  const [agents, personalities, profiles] = await Promise.all([
    client.aiagents.all({ project_id: projectId }),
    client.personalities.list({ project_id: projectId }),
    client.testProfiles.list({ project_id: projectId }),
  ]);
  const agentByName = new Map<string, AiAgent>(agents.map((a) => [a.agent_name.toLowerCase(), a]));
  for (const a of defs.agents) {
    const have = agentByName.get(a.name.toLowerCase());
    const fields = { description: a.description, language: a.language, inbound: a.inbound };
    if (!have) {
      out.created.push(`agent "${a.name}"`);
      if (!dryRun) agentByName.set(a.name.toLowerCase(), await client.aiagents.create({ project: projectId, agent_name: a.name, ...fields }));
      continue;
    }
    const changed = (Object.keys(fields) as Array<keyof typeof fields>).filter((k) => fields[k] !== undefined && fields[k] !== have[k]);
    if (changed.length) {
      out.updated.push(`agent "${a.name}" (${changed.join(', ')})`);
      if (!dryRun) await client.aiagents.update(have.id, Object.fromEntries(changed.map((k) => [k, fields[k]])));
    }
  }
  const personalityNames = new Set(personalities.map((p: Personality) => p.name.toLowerCase()));
  for (const p of defs.personalities) {
    if (personalityNames.has(p.name.toLowerCase())) continue;
    out.created.push(`personality "${p.name}"`);
    if (!dryRun) await client.personalities.create({ project: projectId, ...p });
  }
  const profileNames = new Set(profiles.map((t: TestProfile) => t.name.toLowerCase()));
  for (const t of defs.test_profiles) {
    if (profileNames.has(t.name.toLowerCase())) continue;
    const agent = t.agent ? agentByName.get(t.agent.toLowerCase()) : undefined;
    if (t.agent && !agent && !dryRun)
      throw new CliExit(EXIT.usage, `Nothing more was imported: test profile "${t.name}" names agent "${t.agent}", which ${DEFINITIONS_FILE} does not define.`);
    out.created.push(`test profile "${t.name}"`);
    if (!dryRun) await client.testProfiles.create({ project: projectId, agent: agent?.id ?? null, name: t.name, information: t.information });
  }
  return out;
}
