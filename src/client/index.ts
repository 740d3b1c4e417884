export { type ClientOptions, type QueryValue, type RequestOptions, ScenaristClient, type UploadFile } from './client.js';
export { ApiError, type FieldErrors } from './errors.js';
export type * from './types.js';
export { isFinalStatus, type WaitOptions } from './wait.js';
