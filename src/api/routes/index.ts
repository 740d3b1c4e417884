import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppDeps } from '../deps.js';
import { agentKnowledgeBaseRoutes } from './agent-knowledge-base.js';
import { aiagentRoutes } from './aiagents.js';
import { changesetRoutes } from './changesets.js';
import { generateRoutes } from './generate.js';
import { instructionsRoutes } from './instructions.js';
import { knowledgeBaseFileRoutes } from './knowledge-base-files.js';
import { metricRoutes } from './metrics.js';
import { personalityRoutes } from './personalities.js';
import { projectRoutes } from './projects.js';
import { scenarioAgentRoutes } from './scenario-agent.js';
import { scenarioCopyAndTagRoutes } from './scenario-copies-and-tags.js';
import { scenarioFolderRoutes } from './scenario-folders.js';
import { scenarioRoutes } from './scenarios.js';
import { sessionRoutes } from './sessions.js';
import { testProfileRoutes } from './test-profiles.js';
import { toolRoutes } from './tools.js';
import { usageRoutes } from './usage.js';
import { webhookRoutes } from './webhooks.js';

/** Every resource under `/test_framework/v1`, one module each. */
export const apiRoutes: Array<(deps: AppDeps) => FastifyPluginAsyncZod> = [
  aiagentRoutes,
  personalityRoutes,
  testProfileRoutes,
  metricRoutes,
  knowledgeBaseFileRoutes,
  agentKnowledgeBaseRoutes,
  toolRoutes,
  // The agent's fixed paths (scenarios/scenario-agent/ …) register before scenarios/:id/.
  scenarioAgentRoutes,
  instructionsRoutes,
  generateRoutes,
  scenarioRoutes,
  scenarioFolderRoutes,
  scenarioCopyAndTagRoutes,
  sessionRoutes,
  changesetRoutes,
  usageRoutes,
  webhookRoutes,
];

/** Resources the reference serves under `/user/v1`. */
export const userRoutes: Array<(deps: AppDeps) => FastifyPluginAsyncZod> = [projectRoutes];
