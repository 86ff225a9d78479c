/**
 * @mentions: `@name` in a message body names a member of the room. Usernames are lowercase
 * `a-z 0-9 _ . -` (USERNAME_PATTERN); a mention matches whatever case was typed.
 *
 * A mention starts at an `@` that does not follow a name character (so `ann@example.org` is no
 * mention) and is the longest member name that follows it and ends at a name boundary: `@ann` is
 * not found in `@anna`, `@ann.b` names "ann.b" when that member exists (and nobody otherwise), and
 * `@ann.` at the end of a sentence names "ann".
 */

/** A character that can continue a username. */
const NAME_CHAR = /[a-z0-9_.-]/i;

/** The members (by name) a body mentions, lowercase, each once, in the order they first appear. */
export function findMentions(body: string, memberNames: Iterable<string>): string[] {
  const names = [...new Set([...memberNames].map((n) => n.toLowerCase()))].sort((a, b) => b.length - a.length);
  if (!names.length || !body.includes('@')) return [];
  const text = body.toLowerCase();
  const found: string[] = [];
  for (let at = text.indexOf('@'); at !== -1; at = text.indexOf('@', at + 1)) {
    if (at > 0 && NAME_CHAR.test(text[at - 1]!)) continue;
    const name = names.find((n) => text.startsWith(n, at + 1) && endsName(text, at + 1 + n.length));
    if (name && !found.includes(name)) found.push(name);
  }
  return found;
}

/** Whether the body mentions `username` (the other member names settle which name a longer `@…` is). */
export function mentions(body: string | undefined, username: string | undefined, memberNames: Iterable<string> = []): boolean {
  if (!body || !username) return false;
  return findMentions(body, [username, ...memberNames]).includes(username.toLowerCase());
}

/** A name ends at `end` when no name character follows, or only a full stop that ends the word. */
function endsName(text: string, end: number): boolean {
  const next = text[end];
  if (next === undefined || !NAME_CHAR.test(next)) return true;
  return next === '.' && (text[end + 1] === undefined || !NAME_CHAR.test(text[end + 1]!));
}

/** The part of a conversation line that mentions look at. */
interface MentionableLine {
  body?: string;
  mine: boolean;
  state: string;
  mentionsMe?: boolean;
}

/**
 * Sets `mentionsMe` on the lines that mention `me` (never on one's own, nor on lines that are not a
 * readable message): the message list highlights them (class `mentions-me`). Lines whose flag does
 * not change are returned as they were, so the list re-renders only what changed.
 */
export function markMentions<L extends MentionableLine>(lines: readonly L[], me: string | undefined, memberNames: Iterable<string> = []): L[] {
  const names = [...memberNames];
  return lines.map((line) => {
    const flag = !line.mine && line.state === 'ok' && mentions(line.body, me, names);
    return !!line.mentionsMe === flag ? line : { ...line, mentionsMe: flag };
  });
}
