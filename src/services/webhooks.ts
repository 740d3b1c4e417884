import type { Config } from '../config.js';
import { ValidationError } from '../domain/errors.js';
import { newWebhookSecret, webhookUrlProblem } from '../domain/webhooks.js';
import type { Db } from '../store/db.js';
import { getProject } from '../store/projects.js';
import { createWebhook, getWebhook, updateWebhook, type WebhookInput } from '../store/webhooks.js';

function checkUrl(config: Config, url: string | undefined): void {
  const problem = url === undefined ? null : webhookUrlProblem(url, config.webhooks.allowedHosts);
  if (problem) throw ValidationError.field('url', problem);
}

/** A new webhook with a fresh signing secret, which only this answer shows. */
export async function addWebhook(db: Db, config: Config, organizationId: number, projectId: number, input: WebhookInput, now: string) {
  checkUrl(config, input.url);
  await getProject(db, organizationId, projectId).catch(() => {
    throw ValidationError.field('project', `Invalid pk "${projectId}" - object does not exist.`);
  });
  return createWebhook(db, organizationId, projectId, { ...input, secret: newWebhookSecret() }, now);
}

export async function changeWebhook(db: Db, config: Config, organizationId: number, id: number, patch: Partial<WebhookInput>, now: string) {
  await getWebhook(db, organizationId, id);
  checkUrl(config, patch.url);
  return updateWebhook(db, organizationId, id, patch, now);
}
