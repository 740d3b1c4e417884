export { ScenaristClient, type ClientOptions, type QueryValue, type RequestOptions, type UploadFile } from './client.js';
export { ApiError, type FieldErrors } from './errors.js';
export { isFinalStatus, type WaitOptions } from './wait.js';
export type * from './types.js';
