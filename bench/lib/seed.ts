import type { Db } from '../../src/store/db.js';
import { insertAgent, personalityIdFromStore } from '../../test/helpers/agent.js';

const ROWS_PER_INSERT = 200;

export interface Seeded {
  agentId: number;
  personalityId: number;
  ids: number[];
}

/**
 * Writes `n` scenarios of one agent straight to the store, many rows per statement in one
 * transaction: creating 10,000 through the API would measure the create route, not the job.
 */
export async function seedScenarios(db: Db, projectId: number, n: number): Promise<Seeded> {
  const agentId = await insertAgent(db, projectId);
  const personalityId = await personalityIdFromStore(db);
  const { organization_id } = await db.selectFrom('projects').select('organization_id').where('id', '=', projectId).executeTakeFirstOrThrow();
  const now = new Date().toISOString();
  const ids: number[] = [];
  await db.transaction().execute(async (tx) => {
    for (let start = 0; start < n; start += ROWS_PER_INSERT) {
      const rows = Array.from({ length: Math.min(ROWS_PER_INSERT, n - start) }, (_, k) => {
        const i = start + k + 1;
        return {
          organization_id,
          project_id: projectId,
          agent_id: agentId,
          name: `Billing question ${i}`,
          personality_id: personalityId,
          tags: JSON.stringify(['billing', `group-${i % 10}`]),
          tool_ids: JSON.stringify(['TOOL_END_CALL']),
          metrics: '[]',
          first_message: 'Hi, I have a question about my bill.',
          inbound_phone_number: null,
          instructions: `You were charged twice in month ${(i % 12) + 1}. Ask for a refund of the second charge and a confirmation by email.`,
          conditional_actions: null,
          simulation_description: '',
          information_fields: JSON.stringify({ account_number: String(100000 + i) }),
          expected_outcome_prompt: 'The agent opens a refund request and confirms it.',
          scenario_language: 'en',
          scenario_type: 'instruction',
          suite_type: 'undefined',
          is_predefined: 0,
          test_profile_id: null,
          dynamic_variable_values: null,
          generated_mock_tool_entries: null,
          folder_path: null,
          max_duration: null,
          revision: 1,
          created_by: null,
          last_updated_by: null,
          created_at: now,
          updated_at: now,
        };
      });
      const inserted = await tx.insertInto('scenarios').values(rows).returning('id').execute();
      ids.push(...inserted.map((r) => r.id));
    }
  });
  return { agentId, personalityId, ids };
}
