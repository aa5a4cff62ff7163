import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import type { FinishReason } from '@atrium/protocol';
import type { Endpoint } from '../rtc/endpoint.js';
import type { RoomSession } from '../rtc/room-session.js';
import { EndpointLink, type LinkSocket } from './endpoint-link.js';

class FakeSocket implements LinkSocket {
  sent: Array<{ method: string; seq?: number; params: unknown }> = [];
  finishedWith: FinishReason | null = null;
  superseded = false;
  send(message: object): void {
    this.sent.push(message as { method: string; seq?: number; params: unknown });
  }
  finish(reason: FinishReason): void {
    this.finishedWith = reason;
  }
  supersede(): void {
    this.superseded = true;
  }
}

function bound(graceMs: number, bufferLimit = 512): { link: EndpointLink; socket: FakeSocket; leaves: string[]; endpoint: Endpoint } {
  const socket = new FakeSocket();
  const link = new EndpointLink(socket, { graceMs, bufferLimit, log: pino({ level: 'silent' }) });
  const leaves: string[] = [];
  const endpoint = { id: 'bob', disconnectedAt: null } as unknown as Endpoint;
  const session = { id: 's1', leave: (id: string, reason: string) => leaves.push(`${id}:${reason}`) } as unknown as RoomSession;
  link.bind(session, endpoint, []);
  return { link, socket, leaves, endpoint };
}

const chat = (n: number) => ({ id: String(n), room_id: 'r', room_session_id: 's1', from: { id: 'alice', name: 'Alice' }, content: `m${n}`, sent_at: 'now' });

test('notifications are numbered; a resume after lastSeq gets exactly the missed ones, in order', () => {
  const { link, socket, endpoint } = bound(10_000);
  for (let n = 1; n <= 3; n++) link.notify('chat.message', chat(n));
  assert.deepEqual(socket.sent.map((m) => m.seq), [1, 2, 3]);
  link.detach(socket);
  assert.ok(endpoint.disconnectedAt instanceof Date);
  for (let n = 4; n <= 6; n++) link.notify('chat.message', chat(n));
  assert.equal(socket.sent.length, 3, 'nothing is sent to a dropped socket');
  const next = new FakeSocket();
  assert.equal(link.canReplay(3), true);
  link.attach(next, 3, true);
  assert.deepEqual(next.sent.map((m) => m.seq), [4, 5, 6]);
  assert.equal(endpoint.disconnectedAt, null);
  link.notify('chat.message', chat(7));
  assert.deepEqual(next.sent.map((m) => m.seq), [4, 5, 6, 7]);
  link.finished('left');
});

test('past the buffer the client must start from a snapshot; a lastSeq from the future is refused too', () => {
  const { link, socket } = bound(10_000, 4);
  for (let n = 1; n <= 6; n++) link.notify('chat.message', chat(n));
  // Seq 3..6 are kept: a client that saw 2 can replay, one that saw only 1 cannot.
  assert.equal(link.canReplay(2), true);
  assert.equal(link.canReplay(1), false);
  assert.equal(link.canReplay(6), true);
  assert.equal(link.canReplay(7), false);
  link.detach(socket);
  link.finished('left');
});

test('a socket that is no longer attached cannot detach the endpoint; a resumed one supersedes the old', () => {
  const { link, socket, leaves } = bound(10_000);
  const next = new FakeSocket();
  link.attach(next, 0, true);
  assert.equal(socket.superseded, true);
  link.detach(socket);
  assert.equal(link.disconnected, false);
  assert.deepEqual(leaves, []);
  link.finished('kicked');
  assert.equal(next.finishedWith, 'kicked');
});

test('the grace period ends with connection-lost; a client close leaves at once; a wrong secret never matches', async () => {
  const lost = bound(30);
  lost.link.detach(lost.socket);
  assert.deepEqual(lost.leaves, []);
  await new Promise((resolve) => setTimeout(resolve, 80));
  assert.deepEqual(lost.leaves, ['bob:connection-lost']);
  assert.equal(lost.link.gone, true);

  const closed = bound(10_000);
  closed.link.detach(closed.socket, true);
  assert.deepEqual(closed.leaves, ['bob:disconnected']);

  assert.equal(closed.link.matches(closed.link.resumeToken), true);
  assert.equal(closed.link.matches(lost.link.resumeToken), false);
  assert.equal(closed.link.matches(''), false);
});
