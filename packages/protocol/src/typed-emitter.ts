/**
 * @module A small typed event emitter used by both the server and the SDK (it must run in browsers,
 * so it cannot be Node's). A listener that throws is reported to `onListenerError` and never
 * breaks the emitter or the other listeners.
 */
export type EventMap = { [event: string]: unknown[] };
export type Listener<Args extends unknown[]> = (...args: Args) => void;
type AnyListener = (...args: unknown[]) => void;

export class TypedEmitter<Events extends EventMap> {
  private readonly listeners = new Map<keyof Events, Set<AnyListener>>();

  /** Called with any error a listener throws; replace to log it. */
  onListenerError: (error: unknown, event: PropertyKey) => void = (error) => {
    queueMicrotask(() => {
      throw error;
    });
  };

  on<E extends keyof Events>(event: E, listener: Listener<Events[E]>): this {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener as unknown as AnyListener);
    return this;
  }

  once<E extends keyof Events>(event: E, listener: Listener<Events[E]>): this {
    const wrapper: Listener<Events[E]> = (...args) => {
      this.off(event, wrapper);
      listener(...args);
    };
    return this.on(event, wrapper);
  }

  off<E extends keyof Events>(event: E, listener: Listener<Events[E]>): this {
    this.listeners.get(event)?.delete(listener as unknown as AnyListener);
    return this;
  }

  /** Removes every listener of `event`, or of every event when omitted. */
  removeAllListeners(event?: keyof Events): void {
    if (event === undefined) this.listeners.clear();
    else this.listeners.delete(event);
  }

  listenerCount<E extends keyof Events>(event: E): number {
    return this.listeners.get(event)?.size ?? 0;
  }

  /** Calls every listener of `event`; a throwing listener does not stop the others. */
  emit<E extends keyof Events>(event: E, ...args: Events[E]): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        listener(...args);
      } catch (error) {
        this.onListenerError(error, event);
      }
    }
  }
}
