/**
 * @module A real HTTP webhook receiver for tests (node:http on 127.0.0.1): records every request
 * with its raw body and answers with whatever status the test decides, or never (to hang).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { webhookEnvelopeSchema, type WebhookEnvelope } from '@atrium/protocol';

export interface ReceivedWebhook {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  /** The raw body exactly as received. */
  body: string;
  envelope: WebhookEnvelope;
  receivedAt: number;
  /** What the receiver answered (`hang`: it never answered). */
  answered: number | 'hang';
}

/** Decides the answer to a request: a status code, or `hang` to never answer. */
export type Responder = (request: Omit<ReceivedWebhook, 'answered'>, index: number) => number | 'hang';

export interface WebhookReceiver {
  url: string;
  port: number;
  /** Every request so far, oldest first (failed attempts included). */
  readonly requests: readonly ReceivedWebhook[];
  /** Requests answered with a 2xx, oldest first. */
  delivered(): ReceivedWebhook[];
  respondWith(responder: Responder): void;
  close(): Promise<void>;
}

/** Starts a receiver on `port` (0: any free port). */
export async function startWebhookReceiver(port = 0, responder: Responder = () => 200): Promise<WebhookReceiver> {
  let respond = responder;
  const requests: ReceivedWebhook[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let envelope: WebhookEnvelope;
      try {
        envelope = webhookEnvelopeSchema.parse(JSON.parse(body));
      } catch {
        res.statusCode = 400;
        res.end('not an Atrium envelope');
        return;
      }
      const request = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, envelope, receivedAt: Date.now() };
      const answer = respond(request, requests.length);
      requests.push({ ...request, answered: answer });
      if (answer === 'hang') return;
      res.statusCode = answer;
      res.end(answer >= 200 && answer < 300 ? 'ok' : 'no');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${bound}`,
    port: bound,
    requests,
    delivered: () => requests.filter((r) => typeof r.answered === 'number' && r.answered >= 200 && r.answered < 300),
    respondWith(next) {
      respond = next;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
