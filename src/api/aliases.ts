/**
 * The reference serves each resource at several prefixes with the same request and answer
 * (`scenarios-external`, `v2/scenarios`, `projects-external`, …). Requests to an alias are routed to
 * the canonical prefix before routing, so every alias is the same handler and can never drift.
 */
export const PATH_ALIASES: ReadonlyArray<readonly [alias: string, canonical: string]> = [
  ['/test_framework/v1/scenarios-external/', '/test_framework/v1/scenarios/'],
  ['/test_framework/v2/scenarios/', '/test_framework/v1/scenarios/'],
  ['/test_framework/v1/personalities-external/', '/test_framework/v1/personalities/'],
  ['/test_framework/v1/test-profiles-external/', '/test_framework/v1/test-profiles/'],
  ['/test_framework/v1/metrics-external/', '/test_framework/v1/metrics/'],
  ['/test_framework/v2/metrics/', '/test_framework/v1/metrics/'],
  ['/test_framework/v2/aiagents/', '/test_framework/v1/aiagents/'],
  ['/user/v1/projects-external/', '/user/v1/projects/'],
  // Scenarist's own earlier path for projects, kept for clients built against it.
  ['/test_framework/v1/projects/', '/user/v1/projects/'],
];

// Every request's URL is looked up: one anchored pattern (the aliases in order, as a loop would
// try them) costs tens of nanoseconds, where nine startsWith calls on a long URL cost microseconds.
const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const ALIAS = new RegExp(`^(?:${PATH_ALIASES.map(([alias]) => escaped(alias)).join('|')})`);
const CANONICAL = new Map(PATH_ALIASES);

/** The canonical URL of a request URL (path and query), or the URL itself. */
export function canonicalUrl(url: string): string {
  const alias = ALIAS.exec(url)?.[0];
  return alias === undefined ? url : CANONICAL.get(alias)! + url.slice(alias.length);
}
