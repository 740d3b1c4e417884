import { z } from 'zod';
import { idInText } from '../domain/storable.js';

/** Path ids are positive integers in plain decimal; anything else is "not found" (see the error plugin). */
export const IdParams = z.object({ id: idInText() });

/** An optional integer filter in a query string, e.g. `?project_id=3` (one spelling, as path ids). */
export const optionalIdQuery = () => idInText().optional();

// Error bodies are loose on purpose: a response schema that rejected an error body would turn it into a 500.
export const Detail = z.looseObject({ detail: z.string() });
export const FieldErrorsBody = z.record(z.string(), z.unknown());

/** The responses every authenticated route may give besides its success, for the OpenAPI document. */
export const errorResponses = {
  400: FieldErrorsBody.describe('Field errors: { field_name: [messages] }'),
  401: Detail,
  404: Detail,
} as const;

export const isoTime = () => z.string().describe('ISO-8601 date-time');
