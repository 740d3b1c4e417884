import path from 'node:path';
import { z } from 'zod';
import { PriceTable } from './domain/cost.js';

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();

const EnvSchema = z.object({
  SCENARIST_HOST: z.string().min(1).default('127.0.0.1'),
  SCENARIST_PORT: port.default(8000),
  SCENARIST_DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: z
    .string()
    .regex(/^(postgres(ql)?|sqlite|file):/, 'must start with postgres://, postgresql://, sqlite: or file:')
    .optional(),
  SCENARIST_MODEL: z
    .string()
    .regex(
      /^(offline|(openai|anthropic|openai-compatible):.+)$/,
      'must be "offline" or "<provider>:<model>" with provider openai, anthropic or openai-compatible',
    )
    .default('offline'),
  SCENARIST_LLM_BASE_URL: z.string().url().optional(),
  SCENARIST_LLM_API_KEY: z.string().optional(),
  SCENARIST_LLM_TIMEOUT_MS: positiveInt.default(120_000),
  SCENARIST_LLM_MAX_RETRIES: z.coerce.number().int().min(0).max(20).default(3),
  SCENARIST_LLM_CONCURRENCY: positiveInt.default(4),
  SCENARIST_LLM_BATCH_SIZE: positiveInt.default(20),
  SCENARIST_LLM_TEMPERATURE: z.coerce.number().min(0).max(2).default(0.2),
  SCENARIST_LLM_MAX_OUTPUT_TOKENS: z.coerce.number().int().min(256).max(200_000).default(8_192),
  SCENARIST_PLANNER_FIRST: z.enum(['true', 'false', '1', '0']).default('true'),
  OPENAI_API_KEY: z.string().optional(),
  OPENAI_BASE_URL: z.string().url().optional(),
  ANTHROPIC_API_KEY: z.string().optional(),
  ANTHROPIC_BASE_URL: z.string().url().optional(),
  SCENARIST_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SCENARIST_LOG_FORMAT: z.enum(['auto', 'pretty', 'json']).default('auto'),
  SCENARIST_BODY_LIMIT: positiveInt.default(1024 * 1024),
  SCENARIST_APPLY_BODY_LIMIT: positiveInt.default(64 * 1024 * 1024),
  SCENARIST_UPLOAD_LIMIT: positiveInt.default(10 * 1024 * 1024),
  SCENARIST_WORKER_CONCURRENCY: positiveInt.default(4),
  // A short lease renewed often: a worker that dies is noticed within seconds, not a model call's length.
  SCENARIST_LEASE_MS: positiveInt.default(5_000),
  SCENARIST_HEARTBEAT_MS: positiveInt.default(1_000),
  SCENARIST_JOB_MAX_ATTEMPTS: positiveInt.default(3),
  SCENARIST_SHUTDOWN_GRACE_MS: positiveInt.default(10_000),
  SCENARIST_DB_POOL_SIZE: positiveInt.default(10),
  SCENARIST_AUTH_CACHE_MS: z.coerce.number().int().min(0).default(10_000),
  SCENARIST_AUTH_FAILURES_PER_MINUTE: positiveInt.default(30),
  SCENARIST_OPERATOR_KEY: z.string().min(24, 'must be at least 24 characters').optional(),
  // Hosts webhooks may be sent to (host or host:port, comma-separated); empty: any public address.
  SCENARIST_WEBHOOK_ALLOWED_HOSTS: z.string().default(''),
  SCENARIST_WEBHOOK_RETRY_BASE_MS: positiveInt.default(30_000),
  SCENARIST_WEBHOOK_POLL_MS: positiveInt.default(1_000),
  SCENARIST_WEBHOOK_TIMEOUT_MS: positiveInt.default(10_000),
  // Prices per model in USD per million tokens, as JSON: {"openai:gpt-4.1-mini": {"input": 0.4, "output": 1.6, "cached_input": 0.1}}.
  SCENARIST_PRICES: z
    .string()
    .default('{}')
    .transform((text, ctx) => {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be JSON: {"<provider>:<model>": {"input": <USD per million>, "output": <USD per million>}}' });
        return z.NEVER;
      }
      const table = PriceTable.safeParse(value);
      if (!table.success) {
        ctx.addIssue({
          code: 'custom',
          message: `must map models to {input, output, cached_input?} prices: ${table.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
        });
        return z.NEVER;
      }
      return table.data;
    }),
});

export type Config = Readonly<{
  host: string;
  port: number;
  dataDir: string;
  database: { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string; poolSize: number };
  model: string;
  /** The model engine's provider settings, resolved from the provider's usual variables too. */
  llm: {
    baseUrl?: string;
    apiKey?: string;
    timeoutMs: number;
    maxRetries: number;
    concurrency: number;
    batchSize: number;
    /** Sampling temperature and output-token budget of every model call. */
    temperature: number;
    maxOutputTokens: number;
    /** Requests the built-in planner fully understands run on it, with no model call. */
    plannerFirst: boolean;
  };
  logLevel: z.infer<typeof EnvSchema>['SCENARIST_LOG_LEVEL'];
  /** `auto`: one short line per event on a terminal, JSON lines otherwise. */
  logFormat: z.infer<typeof EnvSchema>['SCENARIST_LOG_FORMAT'];
  bodyLimit: number;
  /** The scenario agent's body carries a whole result back on apply, so it may be larger. */
  applyBodyLimit: number;
  authCacheMs: number;
  /** Failed authentications per client address per minute before it is answered 429. */
  authFailuresPerMinute: number;
  /** The key of the operator's API (organizations, keys); without one that API answers 404. */
  operatorKey?: string;
  uploadLimit: number;
  /** USD per million tokens by model, for dry-run estimates, budgets and the usage report. */
  prices: PriceTable;
  /** Where webhooks may go, and how their deliveries are timed (sent by worker processes). */
  webhooks: { allowedHosts: string[]; retryBaseMs: number; pollMs: number; timeoutMs: number };
  worker: { concurrency: number; leaseMs: number; heartbeatMs: number; maxAttempts: number; shutdownGraceMs: number };
}>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Reads and validates the environment once; every problem is listed with the variable to fix. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  if (e.SCENARIST_HEARTBEAT_MS >= e.SCENARIST_LEASE_MS) {
    throw new ConfigError('Invalid configuration:\n  SCENARIST_HEARTBEAT_MS: must be shorter than SCENARIST_LEASE_MS');
  }
  const llm = modelSettings(e);
  const dataDir = path.resolve(e.SCENARIST_DATA_DIR);
  const url = e.DATABASE_URL;
  const database: Config['database'] =
    url && /^postgres/.test(url)
      ? { kind: 'postgres', url, poolSize: e.SCENARIST_DB_POOL_SIZE }
      : { kind: 'sqlite', file: url ? sqliteFileFromUrl(url) : path.join(dataDir, 'scenarist.db') };
  return Object.freeze({
    host: e.SCENARIST_HOST,
    port: e.SCENARIST_PORT,
    dataDir,
    database,
    model: e.SCENARIST_MODEL,
    llm,
    logLevel: e.SCENARIST_LOG_LEVEL,
    logFormat: e.SCENARIST_LOG_FORMAT,
    bodyLimit: e.SCENARIST_BODY_LIMIT,
    applyBodyLimit: Math.max(e.SCENARIST_APPLY_BODY_LIMIT, e.SCENARIST_BODY_LIMIT),
    authCacheMs: e.SCENARIST_AUTH_CACHE_MS,
    authFailuresPerMinute: e.SCENARIST_AUTH_FAILURES_PER_MINUTE,
    operatorKey: e.SCENARIST_OPERATOR_KEY?.trim() || undefined,
    uploadLimit: e.SCENARIST_UPLOAD_LIMIT,
    prices: e.SCENARIST_PRICES,
    webhooks: {
      allowedHosts: e.SCENARIST_WEBHOOK_ALLOWED_HOSTS.split(',')
        .map((h) => h.trim().toLowerCase())
        .filter(Boolean),
      retryBaseMs: e.SCENARIST_WEBHOOK_RETRY_BASE_MS,
      pollMs: e.SCENARIST_WEBHOOK_POLL_MS,
      timeoutMs: e.SCENARIST_WEBHOOK_TIMEOUT_MS,
    },
    worker: {
      concurrency: e.SCENARIST_WORKER_CONCURRENCY,
      leaseMs: e.SCENARIST_LEASE_MS,
      heartbeatMs: e.SCENARIST_HEARTBEAT_MS,
      maxAttempts: e.SCENARIST_JOB_MAX_ATTEMPTS,
      shutdownGraceMs: e.SCENARIST_SHUTDOWN_GRACE_MS,
    },
  });
}

/**
 * The chosen provider's endpoint and key. Whether they suffice is checked where the model is built
 * (createModel), at the start of every process that runs jobs: an API-only process needs none.
 */
function modelSettings(e: z.infer<typeof EnvSchema>): Config['llm'] {
  const provider = e.SCENARIST_MODEL.split(':')[0];
  const key = (v: string | undefined) => (v?.trim() ? v.trim() : undefined);
  const policy = {
    timeoutMs: e.SCENARIST_LLM_TIMEOUT_MS,
    maxRetries: e.SCENARIST_LLM_MAX_RETRIES,
    concurrency: e.SCENARIST_LLM_CONCURRENCY,
    batchSize: e.SCENARIST_LLM_BATCH_SIZE,
    temperature: e.SCENARIST_LLM_TEMPERATURE,
    maxOutputTokens: e.SCENARIST_LLM_MAX_OUTPUT_TOKENS,
    plannerFirst: e.SCENARIST_PLANNER_FIRST === 'true' || e.SCENARIST_PLANNER_FIRST === '1',
  };
  if (provider === 'openai')
    return { ...policy, apiKey: key(e.SCENARIST_LLM_API_KEY) ?? key(e.OPENAI_API_KEY), baseUrl: e.SCENARIST_LLM_BASE_URL ?? e.OPENAI_BASE_URL };
  if (provider === 'anthropic')
    return { ...policy, apiKey: key(e.SCENARIST_LLM_API_KEY) ?? key(e.ANTHROPIC_API_KEY), baseUrl: e.SCENARIST_LLM_BASE_URL ?? e.ANTHROPIC_BASE_URL };
  return { ...policy, apiKey: key(e.SCENARIST_LLM_API_KEY), baseUrl: e.SCENARIST_LLM_BASE_URL };
}

function sqliteFileFromUrl(url: string): string {
  const rest = url.replace(/^(sqlite|file):(\/\/)?/, '');
  return rest === ':memory:' ? rest : path.resolve(rest);
}
