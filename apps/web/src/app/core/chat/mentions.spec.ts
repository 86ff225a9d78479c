import { findMentions, markMentions, mentions } from './mentions';

describe('mentions', () => {
  const members = ['ann', 'anna', 'ben', 'ann.b', 'cat_9'];

  it('finds each mentioned member once, in order, whatever the case typed', () => {
    expect(findMentions('@Ben and @ann, then @ben again', members)).toEqual(['ben', 'ann']);
    expect(findMentions('(@cat_9) @ANNA!', members)).toEqual(['cat_9', 'anna']);
  });

  it('takes the longest member name and stops at a name boundary', () => {
    expect(findMentions('@anna', members)).toEqual(['anna']);
    expect(findMentions('@ann.b here', members)).toEqual(['ann.b']);
    expect(findMentions('thanks @ann.', members)).toEqual(['ann']);
    expect(findMentions('@annie', members)).toEqual([]);
    expect(findMentions('@ann.x', members)).toEqual([]);
  });

  it('ignores addresses, a lone @ and names that are no member', () => {
    expect(findMentions('mail ann@example.org or @ or @@ or @dan', members)).toEqual([]);
    expect(findMentions('no at sign', members)).toEqual([]);
    expect(findMentions('@ann', [])).toEqual([]);
  });

  it('says whether a body mentions one user', () => {
    expect(mentions('hi @ben', 'ben')).toBe(true);
    expect(mentions('hi @benjamin', 'ben')).toBe(false);
    expect(mentions('hi @ann.b', 'ann', members)).toBe(false);
    expect(mentions('hi @ann', 'ann', members)).toBe(true);
    expect(mentions(undefined, 'ann')).toBe(false);
    expect(mentions('@ann', undefined)).toBe(false);
  });

  it('flags the readable lines of others that mention me, and keeps unchanged lines as they were', () => {
    const lines = [
      { id: '1', body: 'hi @ben', mine: false, state: 'ok' },
      { id: '2', body: 'hi @ben', mine: true, state: 'ok' },
      { id: '3', body: 'hi all', mine: false, state: 'ok' },
      { id: '4', body: undefined, mine: false, state: 'no-key' },
      { id: '5', body: 'was @ben', mine: false, state: 'ok', mentionsMe: true },
    ];
    const marked = markMentions(lines, 'ben', members);
    expect(marked.map((l) => !!l.mentionsMe)).toEqual([true, false, false, false, true]);
    expect(marked[2]).toBe(lines[2]);
    expect(marked[4]).toBe(lines[4]);
    expect(marked[0]).not.toBe(lines[0]);
    expect(markMentions([{ ...lines[0]!, mentionsMe: true }], 'ann', members)[0]!.mentionsMe).toBe(false);
  });
});
