/**
 * Reconnect: a dropped signaling socket is resumed on the same endpoint within the grace period
 * (others see nothing, missed notifications arrive, media keeps flowing); a blocked media path
 * gets an ICE restart; an endpoint gone longer than the grace period leaves with
 * `connection-lost` (notifications, webhook, `onFinished`); a resume needs the endpoint's own
 * access token and resume token.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { join, type Room, type Subscription } from '../packages/sdk/src/index.js';
import { connect } from './helpers/signal.js';
import { startTestServer, waitFor, type TestServer } from './helpers/server.js';
import { trackedWebSocket, type TrackedWebSockets } from './helpers/tracked-websocket.js';
import { countFrames, syntheticCamera, wrtcImpl, type SyntheticMedia } from './helpers/wrtc-media.js';
import { startWebhookReceiver, type WebhookReceiver } from './helpers/webhook-receiver.js';

const GRACE_SECONDS = 3;
let t: TestServer;
let hooks: WebhookReceiver;
const media: SyntheticMedia[] = [];
before(async () => {
  t = await startTestServer({ ATRIUM_SIGNAL_HEARTBEAT_MS: '500', ATRIUM_RECONNECT_GRACE_SECONDS: String(GRACE_SECONDS) });
  hooks = await startWebhookReceiver();
});
after(async () => {
  for (const m of media) m.stop();
  await t.close();
  await hooks.close();
});

interface Call {
  alice: Room;
  bob: Room;
  bobSockets: TrackedWebSockets;
  roomId: string;
  /** Bob's subscription to Alice's camera, with a decoded-frame counter. */
  bobGetsAlice: Subscription;
  frames: { readonly frames: number; stop(): void };
  /** What Alice heard about members leaving or joining after the call was set up. */
  aliceSaw: string[];
}

/** Alice and Bob in a call, each receiving the other; Bob's sockets are tracked. */
async function call(): Promise<Call> {
  const room = await t.createRoom({ timeout: 0, webhook: `${hooks.url}/hooks` });
  const bobSockets = trackedWebSocket();
  const alice = (await join(room.id, await t.token('alice', room.id, { moderator: true }), { url: t.url, wrtc: wrtcImpl })).room;
  const bob = (await join(room.id, await t.token('bob', room.id), { url: t.url, wrtc: wrtcImpl, WebSocket: bobSockets.ctor })).room;
  const aliceMedia = syntheticCamera();
  const bobMedia = syntheticCamera();
  media.push(aliceMedia, bobMedia);
  await alice.publish('camera', aliceMedia.stream);
  await bob.publish('camera', bobMedia.stream);
  await waitFor('bob sees alice stream', () => bob.getEndpoint('alice')?.streams.length === 1);
  await waitFor('alice sees bob stream', () => alice.getEndpoint('bob')?.streams.length === 1);
  const bobGetsAlice = await bob.localEndpoint.subscribe('alice', 'camera');
  await alice.localEndpoint.subscribe('bob', 'camera');
  const frames = countFrames(await waitFor('video at bob', () => bobGetsAlice.track('video')));
  await waitFor('bob decodes alice', () => frames.frames > 10, 20_000);
  const aliceSaw: string[] = [];
  alice.on('endpoint.left', (ep, reason) => aliceSaw.push(`endpoint.left:${ep.id}:${reason}`));
  alice.on('endpoint.joined', (ep) => aliceSaw.push(`endpoint.joined:${ep.id}`));
  alice.on('member.left', (e) => aliceSaw.push(`member.left:${e.member.id}:${e.reason}`));
  alice.on('member.joined', (e) => aliceSaw.push(`member.joined:${e.member.id}`));
  return { alice, bob, bobSockets, roomId: room.id, bobGetsAlice, frames, aliceSaw };
}

function serverEndpoint(roomId: string, id: string) {
  return t.server.sessions.get(roomId)?.getEndpoint(id);
}

async function stays(roomId: string, endpointId: string): Promise<Array<{ active: boolean; leaveReason: string | null; leftAt: string | null }>> {
  const sessionId = t.server.sessions.get(roomId)?.id;
  const res = await t.api('GET', `/api/v1/sessions/${sessionId}/endpoints?endpointId=${endpointId}`);
  assert.equal(res.status, 200);
  return ((await res.json()) as { data: Array<{ active: boolean; leaveReason: string | null; leftAt: string | null }> }).data;
}

test('a killed socket is resumed: nobody sees bob leave, missed events arrive, frames keep being decoded', async () => {
  const { alice, bob, bobSockets, roomId, bobGetsAlice, frames, aliceSaw } = await call();
  const states: string[] = [];
  bob.on('connection.state', ({ state }) => states.push(state));
  const chats: string[] = [];
  bob.on('chat.message', (m) => chats.push(String(m.content)));
  const metaSeen = new Promise<unknown>((resolve) => bob.on('member.updated', (e) => {
    if (e.member.id === 'alice' && e.member.updated.includes('meta')) resolve(e.member.meta);
  }));
  const reconnected = new Promise<void>((resolve) => bob.on('reconnected', () => resolve()));

  // Bob's network is down: his socket dies and new ones cannot open yet.
  bobSockets.blocked = true;
  bobSockets.sockets[0]?.terminate();
  await waitFor('server marks bob disconnected', () => serverEndpoint(roomId, 'bob')?.disconnectedAt);
  await waitFor('bob is reconnecting', () => bob.connectionState === 'reconnecting');
  // What happens meanwhile is kept for him.
  await alice.sendMessage('while you were away');
  await alice.updateMemberMeta({ meta: { mood: 'patient' } });
  // A request made while reconnecting waits for the new socket.
  const aliceChats: string[] = [];
  alice.on('chat.message', (m) => aliceChats.push(String(m.content)));
  const queued = bob.sendMessage('sent while reconnecting');
  const attemptsWhileDown = bobSockets.sockets.length;
  await waitFor('bob tried again', () => bobSockets.sockets.length > attemptsWhileDown, 10_000);
  bobSockets.blocked = false;

  await reconnected;
  assert.equal(bob.connectionState, 'connected');
  assert.deepEqual(await metaSeen, { mood: 'patient' });
  await waitFor('missed chat delivered', () => chats.includes('while you were away'));
  assert.deepEqual(states, ['reconnecting', 'connected']);
  assert.equal(serverEndpoint(roomId, 'bob')?.disconnectedAt, null);

  // The same subscription keeps delivering: frames keep being decoded.
  assert.equal(bob.activeSubscriptions[0], bobGetsAlice);
  const before = frames.frames;
  await waitFor('bob decodes alice after resuming', () => frames.frames > before + 30, 20_000);
  // Requests work on the new socket, the queued one first.
  await queued;
  await bob.sendMessage('back');
  await waitFor('alice hears bob', () => aliceChats.includes('back'));
  assert.deepEqual(aliceChats.filter((c) => c !== 'while you were away'), ['sent while reconnecting', 'back']);

  assert.deepEqual(aliceSaw, [], 'alice saw no member leave or join');
  assert.ok(alice.getEndpoint('bob'));
  const bobStays = await stays(roomId, 'bob');
  assert.deepEqual(bobStays.map((s) => s.active), [true], 'one stay, still active');
  assert.equal(bob.finishedReason, null);
  frames.stop();
  await bob.leave();
  await alice.leave();
  await waitFor('all closed', () => t.server.sfu.stats().peerConnections === 0, 5000);
});

test('a blocked UDP path: ICE is restarted and decoding resumes', async (ctx) => {
  const { alice, bob, bobGetsAlice, frames } = await call();
  const restarts: string[] = [];
  bob.on('ice.restarted', (which) => restarts.push(which.tag ?? which.subscriptionId ?? '?'));
  const rule = ['INPUT', '-p', 'udp', '-j', 'DROP'];
  // Needs root in a network namespace of its own: `npm test` runs the tests inside ../shared/net/isolated.sh.
  execFileSync('iptables', ['-I', ...rule]);
  const blockedAt = Date.now();
  let blocked = true;
  try {
    await waitFor('bob notices the broken path', () => bobGetsAlice.connectionState === 'disconnected' || bobGetsAlice.connectionState === 'failed', 20_000);
    const noticedAt = Date.now();
    const stalled = frames.frames;
    await waitFor('an ICE restart was negotiated while blocked', () => restarts.length > 0, 20_000);
    ctx.diagnostic(`path broken noticed after ${noticedAt - blockedAt} ms, first ICE restart negotiated after ${Date.now() - blockedAt} ms`);
    assert.ok(frames.frames - stalled < 30, 'no media got through while UDP was blocked');
    execFileSync('iptables', ['-D', ...rule]);
    blocked = false;
  } finally {
    if (blocked) execFileSync('iptables', ['-D', ...rule]);
  }
  const unblockedAt = Date.now();
  const before = frames.frames;
  await waitFor('bob decodes alice again', () => frames.frames > before + 30, 30_000);
  ctx.diagnostic(`30 more frames decoded ${Date.now() - unblockedAt} ms after unblocking (${restarts.length} ICE restarts)`);
  assert.ok(restarts.includes(bobGetsAlice.id) || restarts.includes('camera'), `restarted: ${restarts.join(',')}`);
  assert.equal(bob.activeSubscriptions[0], bobGetsAlice, 'the same subscription object');
  assert.equal(bob.finishedReason, null);
  frames.stop();
  await bob.leave();
  await alice.leave();
  await waitFor('all closed', () => t.server.sfu.stats().peerConnections === 0, 5000);
});

test('gone longer than the grace period: others see connection-lost, the webhook says so, onFinished fires', async () => {
  const { alice, bob, bobSockets, roomId, frames, aliceSaw } = await call();
  frames.stop();
  const finished = new Promise<string>((resolve) => {
    bob.onFinished = (reason) => resolve(reason);
  });
  const left = new Promise<number>((resolve) => alice.on('endpoint.left', () => resolve(Date.now())));
  bobSockets.blocked = true;
  bobSockets.sockets[0]?.terminate();
  const disconnectedAt = await waitFor('server marks bob disconnected', () => serverEndpoint(roomId, 'bob')?.disconnectedAt);
  await left;
  assert.deepEqual(aliceSaw, ['endpoint.left:bob:connection-lost', 'member.left:bob:connection-lost']);
  assert.equal(await finished, 'connection-lost');
  assert.equal(bob.finishedReason, 'connection-lost');
  // Bob's publisher and subscription, and Alice's subscription to him, are closed.
  await waitFor('bob peer connections closed', () => t.server.sfu.stats().peerConnections === 1, 5000);
  assert.equal(alice.activeSubscriptions.length, 0);

  const hook = await waitFor('participant-left webhook', () =>
    hooks.delivered().find((r) => r.envelope.roomId === roomId && r.envelope.type === 'participant-left' && r.envelope.data.endpointId === 'bob'));
  assert.equal(hook.envelope.data.reason, 'connection-lost');
  // The real leave time: when the connection dropped, not when the grace period ended.
  assert.equal(hook.envelope.data.leftAt, disconnectedAt.toISOString());
  const [stay] = await stays(roomId, 'bob');
  assert.equal(stay?.leaveReason, 'connection-lost');
  assert.equal(stay?.leftAt, disconnectedAt.toISOString());
  await alice.leave();
});

test('a resume with a wrong resume token or another endpoint\'s token is refused and changes nothing', async () => {
  const room = await t.createRoom({ timeout: 0 });
  const xenaToken = await t.token('xena', room.id);
  const yuriToken = await t.token('yuri', room.id);
  const xena = await connect(t.url);
  const yuri = await connect(t.url);
  const joined = await xena.call('join', { roomId: room.id, token: xenaToken });
  await yuri.call('join', { roomId: room.id, token: yuriToken });
  assert.equal(joined.resume.graceSeconds, GRACE_SECONDS);
  const resumeToken = joined.resume.token;

  const intruder = await connect(t.url);
  const wrongSecret = await intruder.request('resume', { roomId: room.id, token: xenaToken, resumeToken: 'not-the-secret', lastSeq: 0 });
  assert.equal(wrongSecret.error?.data?.code, 'RESUME_FAILED');
  const wrongToken = await intruder.request('resume', { roomId: room.id, token: yuriToken, resumeToken, lastSeq: 0 });
  assert.equal(wrongToken.error?.data?.code, 'RESUME_FAILED');
  const forged = await intruder.request('resume', { roomId: room.id, token: 'not.a.jwt', resumeToken, lastSeq: 0 });
  assert.equal(forged.error?.data?.code, 'TOKEN_INVALID');
  // The refused socket joined nothing; Xena is still connected and hears the room.
  assert.equal((await intruder.request('chat.send', { content: 'hi' })).error?.data?.code, 'NOT_JOINED');
  assert.equal(xena.open, true);
  await yuri.call('chat.send', { content: 'still there?' });
  await xena.waitForNotification('chat.message');
  assert.equal(yuri.notifications.some((n) => n.method === 'member.left' || n.method === 'endpoint.left'), false);

  // The right pair resumes: the old socket is closed (superseded), missed notifications are replayed in order.
  const lastSeq = xena.notifications.at(-1)?.seq ?? 0;
  await yuri.call('chat.send', { content: 'one' });
  await yuri.call('chat.send', { content: 'two' });
  await waitFor('xena got both', () => xena.notifications.filter((n) => n.method === 'chat.message').length === 3);
  const next = await connect(t.url);
  const resumed = await next.call('resume', { roomId: room.id, token: xenaToken, resumeToken, lastSeq });
  assert.equal(resumed.replayed, true);
  assert.equal(resumed.endpoint.id, 'xena');
  assert.equal((await xena.closed).code, 4004);
  await waitFor('replayed', () => next.notifications.filter((n) => n.method === 'chat.message').length === 2);
  assert.deepEqual(next.notifications.filter((n) => n.method === 'chat.message').map((n) => (n.params as { content: string }).content), ['one', 'two']);
  assert.equal(yuri.notifications.some((n) => n.method === 'member.left' || n.method === 'endpoint.left'), false);
  await next.call('leave', {});
  await yuri.call('leave', {});
  for (const c of [intruder, next, yuri]) await c.close();
});

test('missed more than the server keeps: the resume snapshot brings the state up to date', async () => {
  const room = await t.createRoom({ timeout: 0 });
  const bobSockets = trackedWebSocket();
  const alice = (await join(room.id, await t.token('alice', room.id), { url: t.url, wrtc: wrtcImpl })).room;
  const bob = (await join(room.id, await t.token('bob', room.id), { url: t.url, wrtc: wrtcImpl, WebSocket: bobSockets.ctor })).room;
  const dave = (await join(room.id, await t.token('dave', room.id), { url: t.url, wrtc: wrtcImpl })).room;
  const bobSaw: string[] = [];
  bob.on('endpoint.joined', (ep) => bobSaw.push(`endpoint.joined:${ep.id}`));
  bob.on('endpoint.left', (ep, reason) => bobSaw.push(`endpoint.left:${ep.id}:${reason}`));
  let chats = 0;
  bob.on('chat.message', () => chats++);
  const reconnected = new Promise<void>((resolve) => bob.on('reconnected', () => resolve()));

  bobSockets.blocked = true;
  bobSockets.sockets[0]?.terminate();
  await waitFor('server marks bob disconnected', () => serverEndpoint(room.id, 'bob')?.disconnectedAt);
  // More notifications than the server buffers (512) …
  for (let n = 0; n < 520; n++) await alice.sendMessage(`flood ${n}`);
  // … and real changes among them.
  const carol = (await join(room.id, await t.token('carol', room.id, { name: 'Carol' }), { url: t.url, wrtc: wrtcImpl })).room;
  await dave.leave();
  await alice.updateMemberMeta({ meta: { after: 'flood' } });
  bobSockets.blocked = false;

  await reconnected;
  assert.equal(chats, 0, 'the flood was not replayed');
  assert.deepEqual(bobSaw, ['endpoint.left:dave:left', 'endpoint.joined:carol']);
  assert.deepEqual(bob.endpoints.map((e) => e.id).sort(), ['alice', 'carol']);
  assert.deepEqual(bob.members.map((m) => m.id).sort(), ['alice', 'bob', 'carol']);
  assert.deepEqual(bob.members.find((m) => m.id === 'alice')?.meta, { after: 'flood' });
  // Live again: the next notification arrives normally.
  await alice.sendMessage('live');
  await waitFor('live chat', () => chats === 1);
  for (const r of [alice, bob, carol]) await r.leave();
});
