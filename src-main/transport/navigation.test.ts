// The desktop window's link and navigation rules: only allow-listed https origins open externally, and the
// dev renderer is matched by origin, not by prefix.
import { describe, expect, it } from 'vitest';
import { isAllowedExternalLink, isSameOrigin } from './navigation';

describe('navigation rules', () => {
  it('opens only https links on allow-listed origins, without credentials', () => {
    expect(isAllowedExternalLink('https://onnxruntime.ai/docs/execution-providers/')).toBe(true);
    expect(isAllowedExternalLink('http://onnxruntime.ai/docs/')).toBe(false);
    expect(isAllowedExternalLink('https://onnxruntime.ai.evil.example/')).toBe(false);
    expect(isAllowedExternalLink('https://user:pw@onnxruntime.ai/')).toBe(false);
    expect(isAllowedExternalLink('https://evil.example/')).toBe(false);
    expect(isAllowedExternalLink('file:///etc/passwd')).toBe(false);
    expect(isAllowedExternalLink('not a url')).toBe(false);
  });

  it('compares origins, so a look-alike host or another port is not the dev renderer', () => {
    const dev = 'http://localhost:5173';
    expect(isSameOrigin('http://localhost:5173/#/rate', dev)).toBe(true);
    expect(isSameOrigin('http://localhost:5173.evil.example/', dev)).toBe(false);
    expect(isSameOrigin('http://localhost:51730/', dev)).toBe(false);
    expect(isSameOrigin('https://localhost:5173/', dev)).toBe(false);
    expect(isSameOrigin('file:///x', 'file:///x')).toBe(false);
  });
});
