// The app's views and hash routes (`#/rate`), as plain data plus a pure parser.

export const ROUTES = [
  { id: 'generate', label: 'Generate' },
  { id: 'rate', label: 'Rate' },
  { id: 'datasets', label: 'Datasets' },
  { id: 'train', label: 'Train' },
  { id: 'compare', label: 'Compare' },
  { id: 'models', label: 'Models' },
] as const;

export type RouteId = (typeof ROUTES)[number]['id'];

export const DEFAULT_ROUTE: RouteId = 'rate';

/** `#/train` -> 'train'; anything unknown, or no hash at all, -> the Rate view. */
export function parseRoute(hash: string): RouteId {
  const id = hash.replace(/^#\/?/, '').split(/[/?]/)[0] ?? '';
  return ROUTES.find((route) => route.id === id)?.id ?? DEFAULT_ROUTE;
}

export function routeHref(id: RouteId): string {
  return `#/${id}`;
}

/** A positive integer parameter of the hash's query (`#/generate?round=3` -> 3); null when absent or not one. */
export function routeIdParam(hash: string, name: string): number | null {
  const query = hash.split('?')[1];
  if (query === undefined) return null;
  const value = new URLSearchParams(query).get(name);
  return value !== null && /^[1-9]\d{0,15}$/.test(value) ? Number(value) : null;
}
