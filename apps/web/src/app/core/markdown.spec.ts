import { Marked } from 'marked';
import { chatMarkedOptions, isSafeLink } from './markdown';

describe('chat markdown', () => {
  const render = (text: string) => new Marked().parse(text, { ...chatMarkedOptions(), async: false }) as string;

  it('renders emphasis, code and web links', () => {
    expect(render('**bold** _it_ `x`')).toContain('<strong>bold</strong> <em>it</em> <code>x</code>');
    expect(render('[site](https://example.com)')).toContain('<a rel="noopener noreferrer nofollow" target="_blank" href="https://example.com">site</a>');
  });

  it('shows raw HTML as text, never as markup', () => {
    const html = render('<script>alert(1)</script> and <b onmouseover="x()">b</b>');
    expect(html).not.toMatch(/<script|<b /);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('turns javascript: and data: links into plain text and images into their description', () => {
    expect(render('[click](javascript:alert(1))')).not.toContain('<a');
    expect(render('[x](data:text/html,hi)')).not.toContain('<a');
    expect(render('![a cat](https://tracker.invalid/p.png)')).not.toContain('<img');
    expect(render('![a cat](https://tracker.invalid/p.png)')).toContain('a cat');
  });

  it.each([
    ['https://a.example', true],
    ['mailto:a@b.c', true],
    ['javascript:alert(1)', false],
    [' JavaScript:alert(1)', false],
    ['data:text/html,x', false],
  ])('isSafeLink(%j) is %s', (href, safe) => expect(isSafeLink(href)).toBe(safe));
});
