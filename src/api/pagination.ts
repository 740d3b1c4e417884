import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { intInText } from '../domain/storable.js';

export const MAX_PAGE_SIZE = 1000;
export const DEFAULT_PAGE_SIZE = 50;

export const PageQuery = z.object({
  page: intInText(z.number().int().min(1).max(1_000_000)).default(1).describe('A page number within the paginated result set.'),
  page_size: intInText(z.number().int().min(1).max(MAX_PAGE_SIZE)).default(DEFAULT_PAGE_SIZE).describe('Number of results to return per page.'),
});
export type Page = z.infer<typeof PageQuery>;

export function paginated<T extends z.ZodType>(item: T) {
  return z.object({
    count: z.number().int(),
    next: z.string().nullable(),
    previous: z.string().nullable(),
    results: z.array(item),
  });
}

function pageUrl(req: FastifyRequest, page: number): string {
  const url = new URL(req.url, `${req.protocol}://${req.host}`);
  url.searchParams.set('page', String(page));
  return url.toString();
}

/** The `{count, next, previous, results}` envelope with absolute links, as DRF's page-number pagination. */
export function pageOf<T>(req: FastifyRequest, page: Page, count: number, results: T[]) {
  const last = Math.max(1, Math.ceil(count / page.page_size));
  return {
    count,
    next: page.page < last ? pageUrl(req, page.page + 1) : null,
    previous: page.page > 1 ? pageUrl(req, Math.min(page.page - 1, last)) : null,
    results,
  };
}
