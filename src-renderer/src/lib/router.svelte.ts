// The current view, read from and kept in sync with the location hash (`#/rate`).
import { parseRoute, type RouteId } from './routes';

export class HashRouter {
  #current = $state<RouteId>(parseRoute(window.location.hash));

  get current(): RouteId {
    return this.#current;
  }

  /** Follows hash changes (links, back/forward); returns the function that stops following. */
  listen(): () => void {
    const update = (): void => {
      this.#current = parseRoute(window.location.hash);
    };
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }
}
