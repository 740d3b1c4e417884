import type { ServiceContext } from '../services/context.js';

/**
 * What the HTTP layer needs from the process; built once at start and passed down. It is the
 * use-cases' context, so a route hands it on to the use-case it calls.
 */
export interface AppDeps extends ServiceContext {}
