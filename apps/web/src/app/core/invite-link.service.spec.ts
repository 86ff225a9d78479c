import { TestBed } from '@angular/core/testing';
import { InviteLinkService, parseInvite } from './invite-link.service';

const SECRET = 'A'.repeat(42) + 'g';

describe('InviteLinkService', () => {
  it('keeps a well-formed link (code upper-cased) and nothing else', () => {
    expect(parseInvite('abcd', SECRET)).toEqual({ code: 'ABCD', secret: SECRET });
    expect(parseInvite('ABC0', SECRET)).toBeNull(); // 0 is not in the code alphabet
    expect(parseInvite('ABCD', null)).toBeNull();
    expect(parseInvite('ABCD', SECRET.slice(1))).toBeNull();
    expect(parseInvite('ABCD', SECRET.slice(1) + '=')).toBeNull();
  });

  it('remembers the opened link in memory only, until cleared', () => {
    const links = TestBed.inject(InviteLinkService);
    const before = { ...localStorage };
    expect(links.remember('abcd', SECRET)).toEqual({ code: 'ABCD', secret: SECRET });
    expect(links.remember('ABCD', undefined)).toBeNull();
    expect(links.opened()).toEqual({ code: 'ABCD', secret: SECRET });
    expect({ ...localStorage }).toEqual(before);
    links.clear();
    expect(links.opened()).toBeNull();
  });
});
