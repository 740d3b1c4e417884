import { type ScenarioAgentStart, ScenaristClient } from '../../src/client/index.js';
import { startTestServer, type TestServer } from './server.js';

export interface IdleServer {
  server: TestServer;
  client: ScenaristClient;
  /** Starts an improve job, which stays in progress: nothing runs it. */
  startJob(): Promise<ScenarioAgentStart>;
  stop(): Promise<void>;
}

/** A server without a job worker, so jobs stay in progress until cancelled; with a scenario to improve. */
export async function startIdleServer(): Promise<IdleServer> {
  const server = await startTestServer({}, { worker: false });
  const client = new ScenaristClient({ baseUrl: server.url, apiKey: server.key });
  const agent = await client.aiagents.create({ project: server.defaultProjectId, agent_name: 'Bot' });
  const scenario = await client.scenarios.create({ name: 'Waiting', agent: agent.id, personality: (await client.personalities.list())[0]!.id });
  return {
    server,
    client,
    startJob: () => client.scenarioAgent.improve({ scenarios: [scenario.id], user_message: 'Add the DTMF tool' }),
    stop: () => server.stop(),
  };
}
