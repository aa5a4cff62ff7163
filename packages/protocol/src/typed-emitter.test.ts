/**
 * @module Tests for the typed emitter shared by the server and the SDK.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TypedEmitter } from './typed-emitter.js';

type RoomEvents = {
  joined: [endpointId: string, name: string];
  left: [endpointId: string];
  close: [];
};

/** An emitter whose listener errors are collected instead of rethrown. */
function emitterCollectingErrors(): {
  emitter: TypedEmitter<RoomEvents>;
  errors: Array<{ error: unknown; event: PropertyKey }>;
} {
  const emitter = new TypedEmitter<RoomEvents>();
  const errors: Array<{ error: unknown; event: PropertyKey }> = [];
  emitter.onListenerError = (error, event) => errors.push({ error, event });
  return { emitter, errors };
}

describe('TypedEmitter', () => {
  test('on: every listener gets every emit with its arguments, in order of registration', () => {
    const emitter = new TypedEmitter<RoomEvents>();
    const calls: string[] = [];
    emitter.on('joined', (id, name) => calls.push(`first ${id} ${name}`));
    emitter.on('joined', (id, name) => calls.push(`second ${id} ${name}`));
    emitter.emit('joined', 'alice', 'Alice');
    emitter.emit('joined', 'bob', 'Bob');
    assert.deepEqual(calls, ['first alice Alice', 'second alice Alice', 'first bob Bob', 'second bob Bob']);
  });

  test('listeners of other events are not called', () => {
    const emitter = new TypedEmitter<RoomEvents>();
    const left: string[] = [];
    emitter.on('left', (id) => left.push(id));
    emitter.emit('joined', 'alice', 'Alice');
    assert.deepEqual(left, []);
  });

  test('emit with no listeners does nothing', () => {
    const emitter = new TypedEmitter<RoomEvents>();
    assert.doesNotThrow(() => emitter.emit('close'));
    assert.equal(emitter.listenerCount('close'), 0);
  });

  test('once: called on the first emit only, then removed', () => {
    const emitter = new TypedEmitter<RoomEvents>();
    const left: string[] = [];
    emitter.once('left', (id) => left.push(id));
    assert.equal(emitter.listenerCount('left'), 1);
    emitter.emit('left', 'alice');
    emitter.emit('left', 'bob');
    assert.deepEqual(left, ['alice']);
    assert.equal(emitter.listenerCount('left'), 0);
  });

  test('off: a removed listener is no longer called', () => {
    const emitter = new TypedEmitter<RoomEvents>();
    const left: string[] = [];
    const listener = (id: string): void => {
      left.push(id);
    };
    emitter.on('left', listener);
    emitter.emit('left', 'alice');
    emitter.off('left', listener);
    emitter.emit('left', 'bob');
    assert.deepEqual(left, ['alice']);
    assert.equal(emitter.listenerCount('left'), 0);
  });

  test('the same listener added twice is called once per emit', () => {
    const emitter = new TypedEmitter<RoomEvents>();
    let calls = 0;
    const listener = (): void => {
      calls += 1;
    };
    emitter.on('close', listener).on('close', listener);
    emitter.emit('close');
    assert.equal(calls, 1);
  });

  test('a listener that removes itself during emit does not stop the others', () => {
    const emitter = new TypedEmitter<RoomEvents>();
    const calls: string[] = [];
    const selfRemoving = (): void => {
      calls.push('self');
      emitter.off('close', selfRemoving);
    };
    emitter.on('close', selfRemoving);
    emitter.on('close', () => calls.push('other'));
    emitter.emit('close');
    emitter.emit('close');
    assert.deepEqual(calls, ['self', 'other', 'other']);
  });

  test('removeAllListeners silences every event', () => {
    const emitter = new TypedEmitter<RoomEvents>();
    let calls = 0;
    emitter.on('close', () => (calls += 1));
    emitter.on('left', () => (calls += 1));
    emitter.removeAllListeners();
    emitter.emit('close');
    emitter.emit('left', 'alice');
    assert.equal(calls, 0);
  });

  test('a throwing listener does not stop the others and goes to onListenerError', () => {
    const { emitter, errors } = emitterCollectingErrors();
    const boom = new Error('boom');
    const calls: string[] = [];
    emitter.on('joined', () => calls.push('before'));
    emitter.on('joined', () => {
      throw boom;
    });
    emitter.on('joined', (id) => calls.push(`after ${id}`));
    assert.doesNotThrow(() => emitter.emit('joined', 'alice', 'Alice'));
    assert.deepEqual(calls, ['before', 'after alice']);
    assert.deepEqual(errors, [{ error: boom, event: 'joined' }]);
  });

  test('a throwing once-listener is still removed', () => {
    const { emitter, errors } = emitterCollectingErrors();
    emitter.once('close', () => {
      throw new Error('once');
    });
    emitter.emit('close');
    emitter.emit('close');
    assert.equal(errors.length, 1);
    assert.equal(emitter.listenerCount('close'), 0);
  });

  test('by default a listener error is rethrown from a later microtask, not inside emit', () => {
    const emitter = new TypedEmitter<RoomEvents>();
    const boom = new Error('default handler');
    const queued: VoidFunction[] = [];
    const realQueueMicrotask = globalThis.queueMicrotask;
    globalThis.queueMicrotask = (callback: VoidFunction): void => {
      queued.push(callback);
    };
    let after = false;
    try {
      emitter.on('close', () => {
        throw boom;
      });
      emitter.on('close', () => {
        after = true;
      });
      assert.doesNotThrow(() => emitter.emit('close'));
    } finally {
      globalThis.queueMicrotask = realQueueMicrotask;
    }
    assert.equal(after, true);
    assert.equal(queued.length, 1);
    assert.throws(() => queued[0]?.(), (error: unknown) => error === boom);
  });
});
