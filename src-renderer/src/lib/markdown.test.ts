import { describe, expect, it } from 'vitest';
import { renderMarkdown } from './markdown';

describe('renderMarkdown', () => {
  it('renders emphasis, lists and fenced code', () => {
    const html = renderMarkdown('**Paris** is:\n\n- big\n- old\n\n```js\nconst x = 1 < 2;\n```');
    expect(html).toContain('<strong>Paris</strong>');
    expect(html).toContain('<li>big</li>');
    expect(html).toContain('<pre><code class="language-js">const x = 1 &lt; 2;\n</code></pre>');
  });

  it('escapes any HTML in the text instead of passing it through', () => {
    const html = renderMarkdown('<script>alert(1)</script> <img src=x onerror=alert(2)> <b>bold</b>');
    expect(html).not.toMatch(/<script|<img|<b>/);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('turns links into inert text and refuses script URLs', () => {
    expect(renderMarkdown('[docs](https://example.com/a)')).toBe(
      '<p><span class="md-link" title="https://example.com/a">docs</span></p>\n',
    );
    // markdown-it refuses the script URL, so the text stays literal: no element, no attribute carries it.
    expect(renderMarkdown('[x](javascript:alert(1))')).toBe('<p>[x](javascript:alert(1))</p>\n');
  });
});
