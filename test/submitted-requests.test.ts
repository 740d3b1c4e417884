import { describe, expect, it } from 'vitest';
import { keepSubmitted, takeSubmitted } from '../src/jobs/submitted-requests.js';

describe('requests kept for this process runner', () => {
  it('hands a submitted request over once; a retry or another job reads the stored text', () => {
    const request = { project_id: 1, suggestions: [], drafts: [] };
    keepSubmitted('job-a', request);
    expect(takeSubmitted('job-b')).toBeUndefined();
    expect(takeSubmitted('job-a')).toBe(request);
    expect(takeSubmitted('job-a')).toBeUndefined();
  });
});
