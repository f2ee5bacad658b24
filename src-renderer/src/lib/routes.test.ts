// Unit tests for hash routing: known views parse, anything else lands on Rate.
import { describe, expect, it } from 'vitest';
import { parseRoute, routeHref, routeIdParam, ROUTES } from './routes';

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

describe('routeIdParam', () => {
  it('reads a positive integer from the query, and nothing else', () => {
    expect(parseRoute('#/generate?round=12')).toBe('generate');
    expect(routeIdParam('#/generate?round=12', 'round')).toBe(12);
    expect(routeIdParam('#/train?x=1&from=3', 'from')).toBe(3);
    expect(routeIdParam('#/generate', 'round')).toBeNull();
    expect(routeIdParam('#/generate?round=', 'round')).toBeNull();
    expect(routeIdParam('#/generate?round=0', 'round')).toBeNull();
    expect(routeIdParam('#/generate?round=-2', 'round')).toBeNull();
    expect(routeIdParam('#/generate?round=1e3', 'round')).toBeNull();
  });
});
