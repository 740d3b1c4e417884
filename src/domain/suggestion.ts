import { z } from 'zod';

/** A part of a request that was not carried out, and why: every job result lists them in `not_done`. */
export const notDoneSchema = z.object({
  part: z.string().describe('The part of the request, in the user\'s words where possible'),
  reason: z.string().describe('Why it was not carried out, and what would make it possible'),
});
export type NotDone = z.infer<typeof notDoneSchema>;
