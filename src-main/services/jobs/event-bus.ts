// A typed in-process event bus: services emit contract events, transports forward them to windows and tabs.
import type { ApiEvent } from '../../../src-shared/api-methods';
import type { ApiEventPayload, EventListener } from '../../../src-shared/api';

export class EventBus {
  #listeners = new Set<EventListener>();

  emit<E extends ApiEvent>(event: E, payload: ApiEventPayload<E>): void {
    for (const listener of this.#listeners) {
      try {
        listener(event, payload);
      } catch (error) {
        // One broken subscriber (a closed window, a dropped stream) must not stop the others.
        console.error(`event listener for ${event} failed:`, error);
      }
    }
  }

  subscribe(listener: EventListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get listenerCount(): number {
    return this.#listeners.size;
  }
}
