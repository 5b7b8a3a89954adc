/**
 * Sends a push event to each webhook registered for the repository, as a Git host does: POST JSON,
 * GitHub's event headers, a signature over the body; a refused or unreachable receiver is retried
 * with backoff (the receiver may be restarting), then given up on with a log line. The receiver's
 * own poll (Argo CD: timeout.reconciliation) stays the backstop for a delivery that never lands.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { signature256 } from './push-payload.ts';

/** A webhook registered for one repository. */
export interface Webhook {
  readonly repo: string;
  readonly url: string;
  readonly secret: string;
}

const TRIES = 5;
const PER_TRY_TIMEOUT_MS = 5000;

/** The webhooks in `file` (written by GitServer.addWebhook); none while it does not exist. */
export function readWebhooks(file: string): Webhook[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return JSON.parse(text) as Webhook[];
}

/** Delivers `payload` to `hook`; resolves with the log line saying how it went. */
export async function deliver(hook: Webhook, payload: object): Promise<string> {
  const body = JSON.stringify(payload);
  const id = randomUUID();
  let last = '';
  for (let attempt = 1; attempt <= TRIES; attempt++) {
    const t0 = performance.now();
    try {
      const res = await fetch(hook.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'flotilla-git-server', 'x-github-event': 'push', 'x-github-delivery': id, 'x-hub-signature-256': signature256(hook.secret, body) },
        body,
        signal: AbortSignal.timeout(PER_TRY_TIMEOUT_MS),
      });
      const text = (await res.text()).slice(0, 200).trim();
      if (res.ok) return `webhook ${id} to ${hook.url}: ${res.status} in ${Math.round(performance.now() - t0)} ms (try ${attempt})`;
      last = `${res.status} ${text}`;
      // A 4xx other than 429 will not change on retry: the receiver refuses this payload or secret.
      if (res.status < 500 && res.status !== 429) break;
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(250 * 2 ** (attempt - 1));
  }
  return `webhook ${id} to ${hook.url}: FAILED (${last}); the receiver's poll will pick the change up`;
}
