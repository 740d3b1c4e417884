import { z } from 'zod';

/**
 * Fields the reference documents for a resource that Scenarist accepts and keeps without acting on
 * them, so a client written against the reference can write them and read them back. Each one has
 * the type the reference gives it and the value a read shows before it is written (the reference's
 * default, null where it may be null, or nothing at all where it states neither). A secret (a
 * provider's API key) is never stored: the read shows `<name>_configured` instead.
 */
export interface DocumentedField {
  schema: z.ZodType;
  /** What a read shows before a write; `undefined`: the field is left out until written. */
  initial?: unknown;
  /** Taken on write, never answered. */
  writeOnly?: boolean;
  /** Answered, never taken. */
  readOnly?: boolean;
  secret?: boolean;
}
export type DocumentedFields = Record<string, DocumentedField>;
type Access = { readOnly?: boolean; writeOnly?: boolean };

const LONG = 100_000;
const nullableIf = <T extends z.ZodType>(s: T, nullable: boolean) => (nullable ? s.nullable() : s);

export const text = (max: number | undefined, initial: string | null, a: Access = {}): DocumentedField => ({
  schema: nullableIf(z.string().max(max ?? LONG), initial === null),
  initial,
  ...a,
});
export const flag = (initial: boolean | null, a: Access = {}): DocumentedField => ({ schema: nullableIf(z.boolean(), initial === null), initial, ...a });
export const int = (initial: number | null | undefined, a: Access = {}): DocumentedField => ({
  schema: nullableIf(z.number().int().min(-2_147_483_648).max(2_147_483_647), initial === null),
  initial,
  ...a,
});
export const num = (initial: number | null | undefined, a: Access = {}): DocumentedField => ({
  schema: nullableIf(z.number(), initial === null),
  initial,
  ...a,
});
export const choice = (values: readonly string[], initial: string | null, a: Access = {}): DocumentedField => ({
  schema: z.enum(values as [string, ...string[]]),
  // An enum without a default that cannot be null is left out until written.
  initial: initial ?? undefined,
  ...a,
});
export const email = (max: number, a: Access = {}): DocumentedField => ({ schema: z.email().max(max).nullable(), initial: null, ...a });
/** A URL the reference types as a non-null URI: left out until written. */
export const uri = (a: Access = {}): DocumentedField => ({ schema: z.url().max(2048), ...a });
export const ints = (a: Access = {}): DocumentedField => ({
  schema: z.array(z.number().int().min(-2_147_483_648).max(2_147_483_647)).max(10_000),
  initial: [],
  ...a,
});
export const texts = (a: Access = {}): DocumentedField => ({ schema: z.array(z.string().max(LONG)).max(10_000), initial: [], ...a });
export const list = (a: Access = {}): DocumentedField => ({ schema: z.array(z.unknown()).max(10_000), initial: [], ...a });
export const object = (a: Access = {}): DocumentedField => ({ schema: z.record(z.string(), z.unknown()), initial: {}, ...a });
/** Any JSON value the reference leaves untyped; null until written. */
export const any = (a: Access = {}): DocumentedField => ({ schema: z.unknown(), initial: null, ...a });
export const secret = (): DocumentedField => ({ schema: z.string().max(10_000), secret: true, writeOnly: true });
/** A `<name>_configured` flag the reference answers with no secret of that name to write. */
export const configured = (): DocumentedField => ({ schema: z.boolean(), initial: false, readOnly: true });

const configuredName = (name: string) => `${name}_configured`;

/** The body keys the fields add to a write schema. */
export function writeShape<F extends DocumentedFields>(fields: F): Record<keyof F & string, z.ZodOptional<z.ZodType>> {
  return Object.fromEntries(
    Object.entries(fields)
      .filter(([, f]) => !f.readOnly)
      .map(([k, f]) => [k, f.schema.optional()]),
  ) as Record<keyof F & string, z.ZodOptional<z.ZodType>>;
}

/** The keys the fields add to an answer. */
export function readShape(fields: DocumentedFields): Record<string, z.ZodOptional<z.ZodType>> {
  const out: Record<string, z.ZodOptional<z.ZodType>> = {};
  for (const [k, f] of Object.entries(fields)) {
    if (f.secret) out[configuredName(k)] = z.boolean().optional();
    else if (!f.writeOnly) out[k] = f.schema.optional();
  }
  return out;
}

/** A validated body split into what Scenarist acts on and the documented fields it keeps. */
export function splitDocumented<B extends Record<string, unknown>, F extends DocumentedFields>(
  body: B,
  fields: F,
): { own: Omit<B, keyof F>; documented: Record<string, unknown> } {
  const own: Record<string, unknown> = {};
  const documented: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) {
    const f = fields[k];
    if (!f || f.readOnly) own[k] = v;
    else if (v === undefined) continue;
    else if (f.secret) documented[configuredName(k)] = v !== '';
    else documented[k] = v;
  }
  return { own: own as Omit<B, keyof F>, documented };
}

/** What a read answers for the fields, from the kept JSON object. */
export function readDocumented(fields: DocumentedFields, kept: string | Record<string, unknown>): Record<string, unknown> {
  const values = typeof kept === 'string' ? (JSON.parse(kept) as Record<string, unknown>) : kept;
  const out: Record<string, unknown> = {};
  for (const [k, f] of Object.entries(fields)) {
    if (f.secret) out[configuredName(k)] = values[configuredName(k)] === true;
    else if (f.writeOnly) continue;
    else if (k in values) out[k] = values[k];
    else if (f.initial !== undefined) out[k] = f.initial;
  }
  return out;
}
