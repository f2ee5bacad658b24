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
