import type { RoomNotice, StoredMessage } from '@conclave/contracts';
import { asDeleted, deletes, editOf, isNewer, noticeLine, withEdit } from './conversation-log';
import type { ChatLine } from './conversation.service';

const line = (extra: Partial<ChatLine> = {}): ChatLine => ({
  id: 'c1',
  seq: 4,
  senderId: 'ann',
  senderName: 'ann',
  createdAt: '2026-12-04T10:00:00.000Z',
  state: 'ok',
  body: 'lunch at noon?',
  mine: false,
  ...extra,
});
const stored = (extra: Partial<StoredMessage> = {}): StoredMessage =>
  ({ roomId: 'r', seq: 9, senderId: 'ann', epoch: 1, clientMsgId: 'e1', iv: '', ct: '', sig: '', createdAt: '2026-12-04T10:01:00.000Z', editOf: 4, ...extra }) as StoredMessage;
const notice = (extra: Partial<RoomNotice> & Pick<RoomNotice, 'kind'>): RoomNotice =>
  ({ roomId: 'r', seq: 10, createdAt: '2026-12-04T10:02:00.000Z', userId: 'ann', ...extra }) as RoomNotice;

describe('the room log as the conversation shows it (docs/protocol.md §9a–§9c)', () => {
  it('believes an edit only where the server routed it to the original its ciphertext names', () => {
    expect(editOf(stored(), { type: 'edit', editOf: 4, body: 'at one', sentAt: 1 })).toEqual({ seq: 9, editOf: 4, senderId: 'ann', body: 'at one' });
    expect(editOf(stored({ editOf: 5 }), { type: 'edit', editOf: 4, body: 'moved', sentAt: 1 })).toBeUndefined();
    expect(editOf(stored({ editOf: undefined }), { type: 'edit', editOf: 4, body: 'unrouted', sentAt: 1 })).toBeUndefined();
  });

  it('shows the newest edit of the sender’s own readable text, marked edited', () => {
    const edit = { seq: 9, editOf: 4, senderId: 'ann', body: 'at one' };
    expect(withEdit(line(), edit)).toMatchObject({ body: 'at one', edited: true });
    expect(withEdit(line(), undefined)).toEqual(line());
    // another person's edit, an edit of another message, lines that are not readable text
    expect(withEdit(line(), { ...edit, senderId: 'ben' })).toEqual(line());
    expect(withEdit(line(), { ...edit, editOf: 5 })).toEqual(line());
    for (const other of [line({ state: 'bad-signature' }), line({ body: undefined }), line({ deleted: true }), line({ event: 'joined', body: undefined })]) {
      expect(withEdit(other, edit)).toEqual(other);
    }
    expect(isNewer(edit, undefined)).toBe(true);
    expect(isNewer(edit, { ...edit, seq: 8 })).toBe(true);
    expect(isNewer(edit, { ...edit, seq: 12 })).toBe(false);
  });

  it('leaves only a marker of a deleted message, and lets only its sender delete it', () => {
    const gone = asDeleted(line({ edited: true, problem: 'x' }));
    expect(gone).toMatchObject({ deleted: true, state: 'ok', seq: 4 });
    expect(gone.body).toBeUndefined();
    expect(gone.edited).toBeUndefined();
    expect(deletes(notice({ kind: 'deletion', target: 4 }), line())).toBe(true);
    expect(deletes(notice({ kind: 'deletion', target: 4, userId: 'ben' }), line())).toBe(false);
    expect(deletes(notice({ kind: 'deletion', target: 5 }), line())).toBe(false);
    expect(deletes(notice({ kind: 'deletion', target: 4 }), line({ event: 'joined' }))).toBe(false);
  });

  it('turns notices into membership lines and deletion markers, and nothing for an edit’s place or a deletion entry', () => {
    expect(noticeLine(notice({ kind: 'joined', userId: 'ben' }), 'ben', 'ann')).toMatchObject({ id: 'entry-10', seq: 10, event: 'joined', senderName: 'ben', mine: false });
    expect(noticeLine(notice({ kind: 'left' }), 'ann', 'ann')).toMatchObject({ event: 'left', mine: true });
    expect(noticeLine(notice({ kind: 'deleted' }), 'ann', 'ben')).toMatchObject({ deleted: true, seq: 10 });
    expect(noticeLine(notice({ kind: 'deleted', editOf: 4 }), 'ann', 'ben')).toBeUndefined();
    expect(noticeLine(notice({ kind: 'deletion', target: 4 }), 'ann', 'ben')).toBeUndefined();
  });
});
