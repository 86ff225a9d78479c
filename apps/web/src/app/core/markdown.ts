import { SecurityContext } from '@angular/core';
import { Renderer, type Tokens } from 'marked';
import { MARKED_OPTIONS, type MarkedOptions, provideMarkdown, SANITIZE } from 'ngx-markdown';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

/** Links may only lead to web pages or mail: javascript:, data: and the like become plain text. */
export function isSafeLink(href: string): boolean {
  return /^(https?:|mailto:)/i.test(href.trim());
}

/**
 * Chat markdown: what people type is never HTML. Raw HTML is shown as the text it is, images as
 * their description (a message never makes the browser fetch anything), and only http(s)/mailto
 * links are links. Angular's sanitizer (SecurityContext.HTML) then checks the result once more.
 */
export function chatMarkedOptions(): MarkedOptions {
  const renderer = new Renderer();
  renderer.html = ({ text }: Tokens.HTML | Tokens.Tag) => escapeHtml(text);
  renderer.image = ({ text }: Tokens.Image) => escapeHtml(text);
  // marked calls renderer methods on its own renderer instance (with its parser): use `this`.
  renderer.link = function (this: Renderer, token: Tokens.Link) {
    if (!isSafeLink(token.href)) return this.parser.parseInline(token.tokens);
    return Renderer.prototype.link.call(this, token).replace(/^<a /, '<a rel="noopener noreferrer nofollow" target="_blank" ');
  };
  return { gfm: true, breaks: true, renderer };
}

export function provideChatMarkdown() {
  return provideMarkdown({
    markedOptions: { provide: MARKED_OPTIONS, useFactory: chatMarkedOptions },
    sanitize: { provide: SANITIZE, useValue: SecurityContext.HTML },
  });
}
