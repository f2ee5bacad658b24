// Unit tests for hash routing: known views parse, anything else lands on Rate.
import { describe, expect, it } from 'vitest';
import { parseRoute, routeHref, ROUTES } from './routes';

describe('parseRoute', () => {
  it('round-trips every view through its href', () => {
    for (const route of ROUTES) expect(parseRoute(routeHref(route.id))).toBe(route.id);
  });

  it('defaults to Rate for an empty or unknown hash', () => {
    expect(parseRoute('')).toBe('rate');
    expect(parseRoute('#/')).toBe('rate');
    expect(parseRoute('#/nope')).toBe('rate');
  });

  it('accepts a hash without the slash and ignores trailing segments', () => {
    expect(parseRoute('#train')).toBe('train');
    expect(parseRoute('#/compare/3')).toBe('compare');
  });
});
