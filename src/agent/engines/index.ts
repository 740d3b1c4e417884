import type { Config } from '../../config.js';
import type { ScenarioEngine } from '../engine.js';
import { OfflineEngine } from './offline-engine.js';

/** The engine `SCENARIST_MODEL` names; `offline` unless a model is configured. */
export function createEngine(config: Config): ScenarioEngine {
  if (config.model === 'offline') return new OfflineEngine();
  throw new Error(`SCENARIST_MODEL=${config.model}: model engines are not available in this build; use "offline".`);
}
