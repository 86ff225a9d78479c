import type { EditContent, RoomNotice, StoredMessage } from '@conclave/contracts';
import type { ChatLine } from './conversation.service';

/** An edit that decrypted and verified: the newest one (by seq) of a message is what it shows. */
export interface Edit {
  seq: number;
  editOf: number;
  senderId: string;
  body: string;
}

/**
 * An edit as the receiver may believe it (docs/protocol.md §9b): the original named inside the
 * ciphertext is the one the server routed it to. Undefined for one the server moved.
 */
export function editOf(message: StoredMessage, content: EditContent): Edit | undefined {
  if (message.editOf !== content.editOf) return undefined;
  return { seq: message.seq, editOf: content.editOf, senderId: message.senderId, body: content.body };
}

/** Whether `edit` replaces `current` (the kept edit of the same message): the newest wins. */
export const isNewer = (edit: Edit, current: Edit | undefined) => !current || current.seq < edit.seq;

/**
 * The line as its newest edit shows it. Only its own sender's edit of a text message that reads
 * correctly counts: a file message, a deleted one, or a line with a problem is left as it is.
 */
export function withEdit(line: ChatLine, edit: Edit | undefined): ChatLine {
  if (!edit || edit.editOf !== line.seq || edit.senderId !== line.senderId) return line;
  if (line.state !== 'ok' || line.body === undefined || line.deleted || line.event) return line;
  return { ...line, body: edit.body, edited: true };
}

/** The marker a deleted message leaves (docs/protocol.md §9c): no body, no file, nothing to retry. */
export function asDeleted(line: ChatLine): ChatLine {
  const { body: _body, file: _file, stored: _stored, problem: _problem, edited: _edited, ...rest } = line;
  return { ...rest, state: 'ok', deleted: true };
}

/**
 * What a notice puts in the conversation (docs/protocol.md §9a): a membership line, the marker at a
 * deleted message's place, or nothing (an edit's place; a deletion, which changes its target's line).
 */
export function noticeLine(notice: RoomNotice, senderName: string, myId: string | undefined): ChatLine | undefined {
  const base = { id: `entry-${notice.seq}`, seq: notice.seq, senderId: notice.userId, senderName, createdAt: notice.createdAt, state: 'ok' as const, mine: notice.userId === myId };
  switch (notice.kind) {
    case 'joined':
    case 'left':
    case 'removed':
      return { ...base, event: notice.kind };
    case 'deleted':
      return notice.editOf === undefined ? { ...base, deleted: true } : undefined;
    case 'deletion':
      return undefined;
  }
}

/** Whether a deletion entry may delete `line`: only its own sender deletes a message. */
export const deletes = (notice: RoomNotice, line: ChatLine) => notice.kind === 'deletion' && notice.target === line.seq && notice.userId === line.senderId && !line.event;
