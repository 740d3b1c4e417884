import { z } from 'zod';

/** Background generation (generate-bg/): a clarify request whose drafts are created as scenarios. */

const Id = z.number().int().positive().max(2_147_483_647);

/** The reference's SchemaGenerateScenarios. */
export const GenerateBody = z.strictObject({
  agent_id: Id.optional(),
  assistant_id: z.string().max(255).optional().describe("The provider's assistant id, instead of agent_id"),
  personalities: z.array(Id).max(100).optional().describe('Personalities for the scenarios (the first is used)'),
  num_scenarios: z.number().int().min(1).max(100),
  test_profile: Id.nullable().optional(),
  scenario_type: z.enum(['workflow', 'red_teaming_voice', 'red_teaming_text']).default('workflow'),
  attack_type: z.enum(['', 'system_prompt_leak', 'data_leak', 'harmful_content', 'biased_output', 'unauthorized_actions', 'off_task']).nullable().optional(),
  expected_outcome: z.string().max(10_000).nullable().optional(),
  extra_instructions: z.string().max(20_000).default('').describe('What the scenarios should cover'),
  generation_files: z.array(z.string().max(2000)).max(10).optional().describe('Not read by Scenarist: attach knowledge-base files to the agent instead'),
  simulation_type: z.enum(['instruction', 'conditional_actions']).optional(),
  inbound_phone_number: Id.nullable().optional(),
  first_message: z.string().max(1000).optional(),
  generate_expected_outcomes: z.boolean().default(false),
  tags: z.array(z.string().trim().min(1).max(100)).max(100).optional(),
  tool_ids: z.array(z.string().max(100)).max(50).optional(),
  folder_path: z.string().trim().max(255).nullable().optional(),
});
export type GenerateBody = z.infer<typeof GenerateBody>;

/** The body of generate-clarify-answer/: the answer to a generation's questions. */
export const ClarifyAnswer = z.strictObject({ progress_id: z.string().min(1).max(100), answer: z.string().trim().min(1).max(10_000) });
export type ClarifyAnswer = z.infer<typeof ClarifyAnswer>;

/** What generate-bg/ asks of the scenarios it creates, beyond what the drafts say. */
export interface GenerationOptions {
  personality?: number;
  test_profile?: number | null;
  first_message?: string;
  tags?: string[];
  tool_ids?: string[];
  folder_path?: string | null;
  inbound_phone_number?: number | null;
  expected_outcome?: string | null;
}

/** The options a generate-bg/ body sets on the scenarios it creates. */
export function generationOptionsOf(b: GenerateBody): GenerationOptions {
  return {
    personality: b.personalities?.[0],
    test_profile: b.test_profile,
    first_message: b.first_message,
    tags: b.tags,
    tool_ids: b.tool_ids,
    folder_path: b.folder_path,
    inbound_phone_number: b.inbound_phone_number,
    expected_outcome: b.expected_outcome,
  };
}

/** A clarify job started by generate-bg/ carries its options in its request. */
export function isGeneration(job: { kind: string; request: string }): boolean {
  return job.kind === 'clarify' && 'generation' in (JSON.parse(job.request) as object);
}
