import type { ChatLine } from '../../core/chat/conversation.service';
import { dayLabel, messageRows, timeLabel } from './message-rows';

const NOW = new Date(2026, 11, 4, 15, 0);
let n = 0;
function line(senderId: string, at: Date, extra: Partial<ChatLine> = {}): ChatLine {
  n += 1;
  return { id: `m${n}`, seq: n, senderId, senderName: senderId, createdAt: at.toISOString(), state: 'ok', body: 'hi', mine: senderId === 'me', ...extra };
}
const minutes = (m: number) => new Date(NOW.getTime() + m * 60_000);

describe('messageRows', () => {
  it('names days: today, yesterday, then dates', () => {
    expect(dayLabel(minutes(-10), NOW)).toBe('Today');
    expect(dayLabel(new Date(2026, 11, 3, 23, 59), NOW)).toBe('Yesterday');
    expect(dayLabel(new Date(2026, 10, 20, 9), NOW)).toContain('20');
    expect(dayLabel(new Date(2025, 10, 20, 9), NOW)).toContain('2025');
  });

  it('dates the times of messages from other days, not today’s', () => {
    const today = timeLabel(minutes(-10).toISOString(), NOW);
    const earlier = timeLabel(new Date(2026, 10, 20, 9, 5).toISOString(), NOW);
    expect(today).not.toMatch(/20|Nov/);
    expect(earlier).toMatch(/20/);
    expect(earlier.length).toBeGreaterThan(today.length);
  });

  it('puts a separator before the first line of each day', () => {
    const rows = messageRows([line('ann', new Date(2026, 11, 3, 9)), line('ann', new Date(2026, 11, 3, 9, 1)), line('ben', minutes(-5))], 0, NOW);
    expect(rows.map((r) => r.day)).toEqual(['Yesterday', undefined, 'Today']);
  });

  it('groups one sender’s consecutive messages within five minutes, never across a membership line', () => {
    const rows = messageRows(
      [
        line('ann', minutes(-30)),
        line('ann', minutes(-29)),
        line('ann', minutes(-20)), // ten minutes later: a new group
        line('ben', minutes(-19), { event: 'joined' }),
        line('ann', minutes(-18)),
        line('ben', minutes(-17)),
      ],
      0,
      NOW,
    );
    expect(rows.map((r) => r.continues)).toEqual([false, true, false, false, false, false]);
    const mention = messageRows([line('ann', minutes(-3)), line('ann', minutes(-2), { mentionsMe: true })], 0, NOW);
    expect(mention.map((r) => r.continues)).toEqual([false, false]);
  });

  it('marks the first of the last N messages of others as the first unread, skipping mine and membership lines', () => {
    const lines = [line('ben', minutes(-5)), line('ben', minutes(-4)), line('me', minutes(-3)), line('cy', minutes(-2), { event: 'joined' }), line('ben', minutes(-1))];
    const rows = messageRows(lines, 2, NOW);
    expect(rows.filter((r) => r.firstUnread).map((r) => r.line.id)).toEqual([lines[1]!.id]);
    // the divider starts a new group
    expect(rows[1]!.continues).toBe(false);
    expect(messageRows(lines, 0, NOW).some((r) => r.firstUnread)).toBe(false);
    expect(messageRows(lines, 99, NOW).filter((r) => r.firstUnread).map((r) => r.line.id)).toEqual([lines[0]!.id]);
  });
});
