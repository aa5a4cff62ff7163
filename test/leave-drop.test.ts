/**
 * When an endpoint's connection drops (socket killed, or its peer vanishes and stops answering
 * pings) and its client does not come back within the reconnect grace period (1 s here), the
 * others get `endpoint.left` with `connection-lost` and the server keeps no peer connection for
 * it. (Coming back in time is test/reconnect.test.ts.)
 */
import assert from 'node:assert/strict';
import type net from 'node:net';
import { after, before, test } from 'node:test';
import type WebSocket from 'ws';
import { join, type Room } from '../packages/sdk/src/index.js';
import { startTestServer, waitFor, type TestServer } from './helpers/server.js';
import { trackedWebSocket, type TrackedWebSockets } from './helpers/tracked-websocket.js';
import { syntheticCamera, wrtcImpl, type SyntheticMedia } from './helpers/wrtc-media.js';

let t: TestServer;
const media: SyntheticMedia[] = [];
before(async () => {
  t = await startTestServer({ ATRIUM_SIGNAL_HEARTBEAT_MS: '500', ATRIUM_RECONNECT_GRACE_SECONDS: '1' });
});
after(async () => {
  for (const m of media) m.stop();
  await t.close();
});

/** Alice and Bob in a call, each receiving the other; Bob's socket is returned for killing. */
async function call(): Promise<{ alice: Room; bob: Room; bobSocket: WebSocket; bobSockets: TrackedWebSockets; roomId: string }> {
  const room = await t.createRoom({ timeout: 0 });
  const tracked = trackedWebSocket();
  const alice = (await join(room.id, await t.token('alice', room.id), { url: t.url, wrtc: wrtcImpl })).room;
  const bob = (await join(room.id, await t.token('bob', room.id), { url: t.url, wrtc: wrtcImpl, WebSocket: tracked.ctor })).room;
  const aliceMedia = syntheticCamera();
  const bobMedia = syntheticCamera();
  media.push(aliceMedia, bobMedia);
  await alice.publish('camera', aliceMedia.stream);
  await bob.publish('camera', bobMedia.stream);
  await waitFor('bob sees alice stream', () => bob.getEndpoint('alice')?.streams.length === 1);
  await waitFor('alice sees bob stream', () => alice.getEndpoint('bob')?.streams.length === 1);
  await bob.localEndpoint.subscribe('alice', 'camera');
  await alice.localEndpoint.subscribe('bob', 'camera');
  assert.equal(t.server.sfu.stats().peerConnections, 4);
  const bobSocket = tracked.sockets[0];
  assert.ok(bobSocket);
  return { alice, bob, bobSocket, bobSockets: tracked, roomId: room.id };
}

test('a killed socket that cannot come back: after the grace period the other endpoint gets endpoint.left and its peer connections close', async () => {
  const { alice, bob, bobSocket, bobSockets, roomId } = await call();
  const left = new Promise<string>((resolve) => alice.on('endpoint.left', (ep, reason) => resolve(`${ep.id}:${reason}`)));
  const unsubscribed = new Promise<void>((resolve) => alice.getEndpoint('bob')?.tracks[0]?.on('unsubscribed', () => resolve()));
  // Bob's network is gone: the socket dies and his reconnection attempts are refused.
  bobSockets.blocked = true;
  bobSocket.terminate();
  assert.equal(await left, 'bob:connection-lost');
  await waitFor('bob finished', () => bob.finishedReason === 'connection-lost', 5000);
  await unsubscribed;
  await waitFor('bob gone from the session', () => t.server.sessions.get(roomId)?.getEndpoint('bob') === undefined, 5000);
  // Only Alice's publisher is left: Bob's publisher, his subscription and Alice's subscription to him are closed.
  await waitFor('peer connections of bob closed', () => t.server.sfu.stats().peerConnections === 1, 5000);
  assert.deepEqual(t.server.sfu.stats(), { publishers: 1, subscribers: 0, peerConnections: 1 });
  assert.equal(alice.activeSubscriptions.length, 0);
  await alice.leave();
  await waitFor('all closed', () => t.server.sfu.stats().peerConnections === 0, 5000);
});

test('a peer that vanishes without closing is dropped by the heartbeat', async () => {
  const { alice, bob, bobSocket } = await call();
  const left = new Promise<string>((resolve) => alice.on('endpoint.left', (ep, reason) => resolve(`${ep.id}:${reason}`)));
  // Stop reading Bob's socket: pings go unanswered, as when a laptop lid closes.
  (bobSocket as unknown as { _socket: net.Socket })._socket.pause();
  assert.equal(await left, 'bob:connection-lost');
  await waitFor('peer connections of bob closed', () => t.server.sfu.stats().peerConnections === 1, 5000);
  await alice.leave();
  // Bob's client never reads the server's close; let it notice: its resume is refused, as the grace period is over.
  bobSocket.terminate();
  await waitFor('bob finished', () => bob.finishedReason === 'connection-lost', 5000);
});
