import type { ChatLine } from '../../core/chat/conversation.service';

/** Consecutive messages of one sender closer than this share one header. */
const GROUP_WITHIN_MS = 5 * 60_000;

/** A line of the conversation as the list shows it: with the day it starts, whether it continues a group, the unread divider. */
export interface MessageRow {
  line: ChatLine;
  /** A day separator before this line ("Today", "Yesterday", a date). */
  day?: string;
  /** Same sender as the message before, shortly after it, same day: its header is not repeated. */
  continues: boolean;
  /** The first of the messages that were unread when the room was opened: "New messages" goes before it. */
  firstUnread: boolean;
}

/** Whether the line is a message (not a membership line): only messages group and count as unread. */
const isMessage = (line: ChatLine) => !line.event;

export function dayLabel(date: Date, now: Date): string {
  const day = (d: Date) => new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
  const days = Math.round((day(now) - day(date)) / 86_400_000);
  if (days === 0) return 'Today';
  if (days === 1) return 'Yesterday';
  return date.toLocaleDateString([], { weekday: 'long', day: 'numeric', month: 'long', ...(date.getFullYear() === now.getFullYear() ? {} : { year: 'numeric' }) });
}

/**
 * The rows of a conversation: day separators, groups of one sender's consecutive messages, and the
 * "new messages" divider before the first of the last `unread` messages of others.
 */
export function messageRows(lines: readonly ChatLine[], unread: number, now = new Date()): MessageRow[] {
  let firstUnreadId: string | undefined;
  if (unread > 0) {
    const fromOthers = lines.filter((l) => isMessage(l) && !l.mine && l.seq !== undefined);
    firstUnreadId = fromOthers.at(-Math.min(unread, fromOthers.length))?.id;
  }
  let previous: ChatLine | undefined;
  let previousDay: string | undefined;
  return lines.map((line) => {
    const created = new Date(line.createdAt);
    const day = dayLabel(created, now);
    const newDay = day !== previousDay;
    const firstUnread = line.id === firstUnreadId;
    const continues =
      !newDay &&
      !firstUnread &&
      previous !== undefined &&
      isMessage(line) &&
      isMessage(previous) &&
      // A mention of the reader keeps its header: "@ mentions you" is said there.
      !line.mentionsMe &&
      previous.senderId === line.senderId &&
      created.getTime() - new Date(previous.createdAt).getTime() < GROUP_WITHIN_MS;
    previous = line;
    previousDay = day;
    return { line, ...(newDay ? { day } : {}), continues, firstUnread };
  });
}

/** A message's time; with its date when it is not from today (the day separator may be far above). */
export function timeLabel(iso: string, now = new Date()): string {
  const date = new Date(iso);
  const time = date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  return date.toDateString() === now.toDateString() ? time : `${date.toLocaleDateString([], { day: 'numeric', month: 'short' })}, ${time}`;
}
