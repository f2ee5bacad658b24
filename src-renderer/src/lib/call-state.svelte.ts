// The base of a view's state class: one call at a time, busy while it runs, the server's error verbatim
// when it fails, and a message for what it did; a second call while one runs is ignored.
import { errorMessage } from './error-message';

export class CallState {
  #busy = $state(false);
  #error = $state<string | null>(null);
  #message = $state<string | null>(null);

  get busy(): boolean {
    return this.#busy;
  }
  get error(): string | null {
    return this.#error;
  }
  get message(): string | null {
    return this.#message;
  }

  fail(error: string): void {
    this.#error = error;
  }

  say(message: string): void {
    this.#message = message;
  }

  /** Forgets the last error and message (a new selection starts clean). */
  clear(): void {
    this.#error = null;
    this.#message = null;
  }

  /** Runs `call` unless one is running; null when it failed (the error is kept) or was ignored. */
  async run<T>(call: () => Promise<T>): Promise<T | null> {
    if (this.#busy) return null;
    this.#busy = true;
    this.#error = null;
    this.#message = null;
    try {
      return await call();
    } catch (error) {
      this.#error = errorMessage(error);
      return null;
    } finally {
      this.#busy = false;
    }
  }
}
