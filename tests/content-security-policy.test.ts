// The page's own CSP (a meta tag in index.html) must match the one the servers send as a header.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY } from '../src-shared/security';

describe('Content-Security-Policy', () => {
  it('is the same in index.html, less frame-ancestors, which a meta tag cannot carry', () => {
    const html = readFileSync('src-renderer/index.html', 'utf8');
    const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html)?.[1];
    expect(meta).toBe(CONTENT_SECURITY_POLICY.replace("; frame-ancestors 'none'", ''));
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self';");
  });
});
