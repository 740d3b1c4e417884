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

/** The canonical URL of a request URL (path and query), or the URL itself. */
export function canonicalUrl(url: string): string {
  for (const [alias, canonical] of PATH_ALIASES) if (url.startsWith(alias)) return canonical + url.slice(alias.length);
  return url;
}
