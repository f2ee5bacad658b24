// Markdown for model output, rendered safely: markdown-it with raw HTML off (any tag in the text is
// escaped, never parsed), no autolinking, and its default link validation (no javascript:, vbscript:,
// file: or non-image data: URLs). Remote images stay blocked by the page's CSP (img-src 'self' data:).
import MarkdownIt from 'markdown-it';

const markdown = new MarkdownIt({ html: false, linkify: false, typographer: false, breaks: true });

// Links open nothing inside the app: the desktop window denies new windows, and a plain click on a link
// would navigate away from the Rate view, so links render as text with their address shown.
markdown.renderer.rules.link_open = (tokens, index) => {
  const href = String(tokens[index]?.attrGet('href') ?? '');
  return `<span class="md-link" title="${markdown.utils.escapeHtml(href)}">`;
};
markdown.renderer.rules.link_close = () => '</span>';

export function renderMarkdown(text: string): string {
  return markdown.render(text);
}
