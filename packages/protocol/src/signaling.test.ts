/**
 * @module Tests for the signaling schemas: method params, the JSON-RPC envelope, the error-code
 * mapping, and the server's notifications.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ErrorCode } from './errors.js';
import {
  JsonRpcCode,
  jsonRpcCodeFor,
  jsonRpcRequestSchema,
  jsonRpcResponseSchema,
  signalMethods,
  signalNotifications,
} from './signaling.js';

const SDP = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n';

describe('signalMethods params', () => {
  test('join needs both roomId and token', () => {
    const join = signalMethods.join.params;
    assert.deepEqual(join.parse({ roomId: 'r1', token: 'eyJ.x.y' }), { roomId: 'r1', token: 'eyJ.x.y' });
    assert.equal(join.safeParse({ roomId: 'r1' }).success, false);
    assert.equal(join.safeParse({ token: 'eyJ.x.y' }).success, false);
    assert.equal(join.safeParse({ roomId: '', token: 'eyJ.x.y' }).success, false);
    assert.equal(join.safeParse({ roomId: 'r1', token: '' }).success, false);
  });

  test('join refuses a token longer than 8 KiB', () => {
    assert.equal(signalMethods.join.params.safeParse({ roomId: 'r1', token: 'a'.repeat(8193) }).success, false);
  });

  test('publish accepts ordinary stream tags', () => {
    for (const tag of ['camera', 'screen', 'camera-2', 'mic_1', 'v1.0', 'a'.repeat(64)]) {
      assert.equal(signalMethods.publish.params.safeParse({ tag, sdp: SDP }).success, true, tag);
    }
  });

  test('publish refuses tags with spaces, slashes, nothing, or more than 64 characters', () => {
    for (const tag of ['a b', '../x', 'a/b', '', 'a'.repeat(65), 'caméra']) {
      assert.equal(signalMethods.publish.params.safeParse({ tag, sdp: SDP }).success, false, JSON.stringify(tag));
    }
  });

  test('publish caps the SDP at 64 KiB and refuses an empty one', () => {
    const publish = signalMethods.publish.params;
    assert.equal(publish.safeParse({ tag: 'camera', sdp: 'x'.repeat(64 * 1024) }).success, true);
    assert.equal(publish.safeParse({ tag: 'camera', sdp: 'x'.repeat(64 * 1024 + 1) }).success, false);
    assert.equal(publish.safeParse({ tag: 'camera', sdp: '' }).success, false);
  });

  test('subscription.answer applies the same SDP cap', () => {
    const answer = signalMethods['subscription.answer'].params;
    assert.equal(answer.safeParse({ subscriptionId: 's1', sdp: SDP }).success, true);
    assert.equal(answer.safeParse({ subscriptionId: 's1', sdp: 'x'.repeat(64 * 1024 + 1) }).success, false);
  });

  test('subscribe validates the endpoint id and tag', () => {
    const subscribe = signalMethods.subscribe.params;
    assert.equal(subscribe.safeParse({ endpointId: 'mohsen@example.com', tag: 'camera' }).success, true);
    assert.equal(subscribe.safeParse({ endpointId: 'two words', tag: 'camera' }).success, false);
    assert.equal(subscribe.safeParse({ endpointId: 'mohsen', tag: 'a b' }).success, false);
  });

  test('track.setMuted needs a known kind and a boolean', () => {
    const setMuted = signalMethods['track.setMuted'].params;
    assert.equal(setMuted.safeParse({ tag: 'camera', kind: 'video', muted: true }).success, true);
    assert.equal(setMuted.safeParse({ tag: 'camera', kind: 'data', muted: true }).success, false);
    assert.equal(setMuted.safeParse({ tag: 'camera', kind: 'audio', muted: 'yes' }).success, false);
  });

  test('leave takes no params or an empty object', () => {
    assert.equal(signalMethods.leave.params.safeParse(undefined).success, true);
    assert.equal(signalMethods.leave.params.safeParse({}).success, true);
  });
});

describe('jsonRpcRequestSchema', () => {
  test('accepts a valid request with a numeric or string id', () => {
    const request = { jsonrpc: '2.0', id: 1, method: 'join', params: { roomId: 'r1', token: 't' } };
    assert.deepEqual(jsonRpcRequestSchema.parse(request), request);
    assert.equal(jsonRpcRequestSchema.safeParse({ jsonrpc: '2.0', id: 'abc', method: 'leave' }).success, true);
  });

  test('refuses jsonrpc "1.0"', () => {
    assert.equal(jsonRpcRequestSchema.safeParse({ jsonrpc: '1.0', id: 1, method: 'join' }).success, false);
  });

  test('refuses a request without an id', () => {
    assert.equal(jsonRpcRequestSchema.safeParse({ jsonrpc: '2.0', method: 'join' }).success, false);
  });

  test('refuses a fractional or null id and a missing method', () => {
    assert.equal(jsonRpcRequestSchema.safeParse({ jsonrpc: '2.0', id: 1.5, method: 'join' }).success, false);
    assert.equal(jsonRpcRequestSchema.safeParse({ jsonrpc: '2.0', id: null, method: 'join' }).success, false);
    assert.equal(jsonRpcRequestSchema.safeParse({ jsonrpc: '2.0', id: 1 }).success, false);
  });
});

describe('jsonRpcResponseSchema', () => {
  test('accepts a result and an error carrying our string code', () => {
    assert.equal(jsonRpcResponseSchema.safeParse({ jsonrpc: '2.0', id: 1, result: {} }).success, true);
    const error = {
      jsonrpc: '2.0',
      id: 2,
      error: { code: -32000, message: 'room is full', data: { code: ErrorCode.ROOM_FULL } },
    };
    assert.deepEqual(jsonRpcResponseSchema.parse(error), error);
  });
});

describe('jsonRpcCodeFor', () => {
  test('maps validation, parse, method and internal errors to their JSON-RPC codes', () => {
    assert.equal(jsonRpcCodeFor(ErrorCode.VALIDATION_FAILED), -32602);
    assert.equal(jsonRpcCodeFor(ErrorCode.MALFORMED_JSON), -32700);
    assert.equal(jsonRpcCodeFor(ErrorCode.METHOD_NOT_ALLOWED), -32601);
    assert.equal(jsonRpcCodeFor(ErrorCode.INTERNAL), -32603);
  });

  test('maps every application error to -32000', () => {
    for (const code of [ErrorCode.ROOM_FULL, ErrorCode.TOKEN_EXPIRED, ErrorCode.PERMISSION_DENIED, ErrorCode.NOT_JOINED]) {
      assert.equal(jsonRpcCodeFor(code), JsonRpcCode.APPLICATION_ERROR, code);
    }
  });
});

describe('signalNotifications', () => {
  const camera = {
    tag: 'camera',
    tracks: [
      { id: 'camera:audio', kind: 'audio', muted: false },
      { id: 'camera:video', kind: 'video', muted: true },
    ],
  };

  test('endpoint.joined carries the endpoint with its streams', () => {
    const params = { endpoint: { id: 'alice', name: 'Alice', streams: [camera] } };
    assert.deepEqual(signalNotifications['endpoint.joined'].parse(params), params);
  });

  test('endpoint.left needs a known reason', () => {
    const left = signalNotifications['endpoint.left'];
    assert.equal(left.parse({ endpointId: 'alice', reason: 'kicked' }).reason, 'kicked');
    assert.equal(left.safeParse({ endpointId: 'alice', reason: 'bored' }).success, false);
  });

  test('stream.published and stream.unpublished', () => {
    const published = signalNotifications['stream.published'].parse({ endpointId: 'alice', stream: camera });
    assert.deepEqual(published.stream.tracks.map((t) => t.id), ['camera:audio', 'camera:video']);
    assert.equal(signalNotifications['stream.unpublished'].parse({ endpointId: 'alice', tag: 'camera' }).tag, 'camera');
    assert.equal(signalNotifications['stream.unpublished'].safeParse({ endpointId: 'alice', tag: 'a b' }).success, false);
  });

  test('track.updated carries the new muted state', () => {
    const updated = signalNotifications['track.updated'].parse({
      endpointId: 'alice',
      tag: 'camera',
      track: { id: 'camera:audio', kind: 'audio', muted: true },
    });
    assert.equal(updated.track.muted, true);
  });

  test('subscription.ended needs one of its reasons', () => {
    const ended = signalNotifications['subscription.ended'];
    assert.equal(ended.parse({ subscriptionId: 's1', reason: 'endpoint-left' }).reason, 'endpoint-left');
    assert.equal(ended.safeParse({ subscriptionId: 's1', reason: 'kicked' }).success, false);
  });

  test('room.finished accepts max-duration, which a leave reason does not', () => {
    assert.equal(signalNotifications['room.finished'].parse({ reason: 'max-duration' }).reason, 'max-duration');
    assert.equal(signalNotifications['endpoint.left'].safeParse({ endpointId: 'a', reason: 'max-duration' }).success, false);
  });
});
