/**
 * Rooms CRUD over REST: every field of the reference create-room APIs, validated precisely;
 * lists with cursor pagination and filters; PATCH and DELETE; `{id}` may be the customRoomId.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { roomSchema, type Room } from '@atrium/protocol';
import { joinRoom } from './helpers/signal.js';
import { startTestServer, waitFor, type TestServer } from './helpers/server.js';

let t: TestServer;
before(async () => {
  t = await startTestServer();
});
after(async () => {
  await t.close();
});

async function body<T>(res: Response, status: number): Promise<T> {
  const text = await res.text();
  assert.equal(res.status, status, text);
  return (text ? JSON.parse(text) : undefined) as T;
}

async function errorOf(res: Response, status: number): Promise<{ code: string; details?: Array<{ path: string }> }> {
  return (await body<{ error: { code: string; details?: Array<{ path: string }> } }>(res, status)).error;
}

describe('create', () => {
  test('every field round-trips, kebab-case aliases included', async () => {
    const room = roomSchema.strict().parse(
      await body(
        await t.api('POST', '/api/v1/rooms', {
          title: 'All fields',
          'custom-room-id': 'all-fields-1',
          name: 'all-fields',
          'display-name': 'All Fields',
          webhook: { endPoint: 'https://hooks.example.com/x', events: ['session-started', 'participant-joined'] },
          'auto-close-config': { type: 'session-ends', duration: 30 },
          autoStartConfig: {
            recording: { config: { layout: { type: 'SPOTLIGHT', priority: 'PIN', gridSize: 3 }, theme: 'DARK', mode: 'audio', quality: 'high', orientation: 'portrait' } },
            hls: { config: { layout: { type: 'GRID' }, recording: { enabled: true } } },
          },
          quality: '1080p',
          layout: 'highlight-1-responsive',
          enableChat: false,
          enableRoomPreviews: true,
          recordOnStart: true,
        }),
        201,
      ),
    );
    assert.equal(room.customRoomId, 'all-fields-1');
    assert.equal(room.displayName, 'All Fields');
    assert.deepEqual(room.webhook, { endPoint: 'https://hooks.example.com/x', events: ['session-started', 'participant-joined'] });
    assert.deepEqual(room.autoCloseConfig, { type: 'session-ends', duration: 30 });
    assert.equal((room.autoStartConfig as { recording: { config: { layout: { gridSize: number } } } }).recording.config.layout.gridSize, 3);
    assert.equal(room.quality, '1080p');
    assert.equal(room.enableChat, false);
    assert.equal(room.recordOnStart, true);
    assert.equal(room.deactivated, false);
    assert.deepEqual(room.links, { self: `/api/v1/rooms/${room.id}`, sessions: `/api/v1/sessions?roomId=${room.id}` });
    const fetched = await body<Room>(await t.api('GET', '/api/v1/rooms/all-fields-1'), 200);
    assert.deepEqual(fetched, room);
  });

  test('autoCloseConfig duration defaults to 480 minutes', async () => {
    const room = await body<Room>(await t.api('POST', '/api/v1/rooms', { autoCloseConfig: { type: 'session-end-and-deactivate' } }), 201);
    assert.deepEqual(room.autoCloseConfig, { type: 'session-end-and-deactivate', duration: 480 });
  });

  test('each bad field is named precisely', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ quality: '4k' }, 'quality'],
      [{ layout: 'circle' }, 'layout'],
      [{ webhook: { endPoint: 'https://x.example', events: ['nope'] } }, 'webhook'],
      [{ autoCloseConfig: { type: 'never' } }, 'autoCloseConfig.type'],
      [{ autoStartConfig: { recording: { config: { layout: { type: 'GRID', gridSize: 0 } } } } }, 'autoStartConfig.recording.config.layout.gridSize'],
      [{ autoStartConfig: { recording: { config: { mode: 'video' } } } }, 'autoStartConfig.recording.config.mode'],
      [{ enableChat: 'yes' }, 'enableChat'],
      [{ name: 'has space' }, 'name'],
    ];
    for (const [input, path] of cases) {
      const error = await errorOf(await t.api('POST', '/api/v1/rooms', input), 400);
      assert.equal(error.code, 'VALIDATION_FAILED');
      assert.ok(error.details?.some((d) => d.path === path || d.path.startsWith(`${path}.`)), `${JSON.stringify(input)} → ${JSON.stringify(error.details)}`);
    }
  });

  test('a taken name or customRoomId is 409 ROOM_EXISTS', async () => {
    await body(await t.api('POST', '/api/v1/rooms', { name: 'unique-name' }), 201);
    assert.equal((await errorOf(await t.api('POST', '/api/v1/rooms', { name: 'unique-name' }), 409)).code, 'ROOM_EXISTS');
  });
});

describe('list', () => {
  test('pages with a cursor, newest first, with no room twice or missing', async () => {
    const created: string[] = [];
    for (let i = 0; i < 25; i++) {
      created.push((await body<Room>(await t.api('POST', '/api/v1/rooms', { title: `page-${i}`, customRoomId: `page-${i}` }), 201)).id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `&cursor=${cursor}` : '';
      const page: { data: Room[]; nextCursor: string | null } = await body(await t.api('GET', `/api/v1/rooms?limit=10${query}`), 200);
      seen.push(...page.data.map((r) => r.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 20);
    for (const id of created) assert.equal(seen.filter((s) => s === id).length, 1, `room ${id} listed once`);
    const ours = seen.filter((id) => created.includes(id));
    assert.deepEqual(ours, [...created].reverse(), 'newest first');
    assert.equal((await errorOf(await t.api('GET', '/api/v1/rooms?cursor=garbage'), 400)).code, 'VALIDATION_FAILED');
    assert.equal((await errorOf(await t.api('GET', '/api/v1/rooms?limit=1000'), 400)).code, 'VALIDATION_FAILED');
  });

  test('filters by customRoomId, creation time and activity', async () => {
    const before = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 5));
    const live = await body<Room>(await t.api('POST', '/api/v1/rooms', { customRoomId: 'filter-live', timeout: 600 }), 201);
    const idle = await body<Room>(await t.api('POST', '/api/v1/rooms', { customRoomId: 'filter-idle' }), 201);
    const one = await body<{ data: Room[] }>(await t.api('GET', '/api/v1/rooms?customRoomId=filter-live'), 200);
    assert.deepEqual(one.data.map((r) => r.id), [live.id]);
    const recent = await body<{ data: Room[] }>(await t.api('GET', `/api/v1/rooms?createdAfter=${encodeURIComponent(before)}&limit=100`), 200);
    assert.deepEqual(recent.data.map((r) => r.id).sort(), [live.id, idle.id].sort());
    const older = await body<{ data: Room[] }>(await t.api('GET', `/api/v1/rooms?createdBefore=${encodeURIComponent(before)}&limit=100`), 200);
    assert.ok(!older.data.some((r) => r.id === live.id || r.id === idle.id));

    const { client } = await joinRoom(t, live.id, 'someone');
    const active = await body<{ data: Room[] }>(await t.api('GET', '/api/v1/rooms?active=true&limit=100'), 200);
    assert.ok(active.data.some((r) => r.id === live.id));
    assert.ok(!active.data.some((r) => r.id === idle.id));
    const inactive = await body<{ data: Room[] }>(await t.api('GET', `/api/v1/rooms?active=false&createdAfter=${encodeURIComponent(before)}`), 200);
    assert.deepEqual(inactive.data.map((r) => r.id), [idle.id]);
    await client.close();
  });
});

describe('change and delete', () => {
  test('PATCH changes only the given fields and updates updatedAt', async () => {
    const room = await body<Room>(await t.api('POST', '/api/v1/rooms', { title: 'before', maxEndpoints: 3 }), 201);
    await new Promise((r) => setTimeout(r, 5));
    const changed = await body<Room>(await t.api('PATCH', `/api/v1/rooms/${room.id}`, { title: 'after', 'max-endpoints': null, webhook: 'https://h.example/all' }), 200);
    assert.equal(changed.title, 'after');
    assert.equal(changed.maxEndpoints, null);
    assert.deepEqual(changed.webhook, { endPoint: 'https://h.example/all', events: null });
    assert.equal(changed.timeout, room.timeout);
    assert.ok(changed.updatedAt > room.updatedAt);
    assert.equal((await errorOf(await t.api('PATCH', `/api/v1/rooms/${room.id}`, {}), 400)).code, 'VALIDATION_FAILED');
    assert.equal((await errorOf(await t.api('PATCH', `/api/v1/rooms/${room.id}`, { id: 'x' }), 400)).code, 'VALIDATION_FAILED');
    assert.equal((await errorOf(await t.api('PATCH', '/api/v1/rooms/nope', { title: 'x' }), 404)).code, 'ROOM_NOT_FOUND');
  });

  test('DELETE ends the live session, removes the room, and is 404 after', async () => {
    const room = await body<Room>(await t.api('POST', '/api/v1/rooms', { customRoomId: 'to-delete' }), 201);
    const { client } = await joinRoom(t, room.id, 'inside');
    assert.equal((await t.api('DELETE', '/api/v1/rooms/to-delete')).status, 204);
    assert.deepEqual(await client.waitForNotification('room.finished'), { reason: 'session-ended' });
    await waitFor('socket closed', async () => !client.open);
    assert.equal((await errorOf(await t.api('GET', `/api/v1/rooms/${room.id}`), 404)).code, 'ROOM_NOT_FOUND');
    assert.equal((await errorOf(await t.api('DELETE', `/api/v1/rooms/${room.id}`), 404)).code, 'ROOM_NOT_FOUND');
  });
});
