import { ALLOWED_FILE_TYPES, type FileContent, LIMITS, type MessageContent } from '@conclave/contracts';
import { MessageTooLongError } from './errors.js';
import { fileNameMatchesType } from './file.js';
import { fromBase64 } from './encoding.js';
import { checkId } from './validate.js';

/** Characters as the protocol counts them: Unicode code points (an emoji like 👍 is one). */
export const characterCount = (text: string): number => [...text].length;

const MIMES: ReadonlySet<string> = new Set(Object.values(ALLOWED_FILE_TYPES));

/**
 * Checks a message's content; returns a reason when it is not valid, undefined when it is. The
 * sender raises the reason as an error; a receiver treats it as a malformed message. Bodies are
 * checked against the protocol's highest limit: the deployment's own (lower) limit is the sender's
 * check (assertSendable) and the server's bound on ciphertext.
 */
export function contentProblem(content: unknown): string | undefined {
  if (typeof content !== 'object' || content === null) return 'content must be an object';
  const c = content as Partial<Record<keyof FileContent | 'body' | 'editOf', unknown>>;
  if (typeof c.sentAt !== 'number' || !Number.isSafeInteger(c.sentAt) || c.sentAt < 0) return 'sentAt must be a time in milliseconds';
  if (c.type === 'text' || c.type === 'edit') {
    if (typeof c.body !== 'string' || c.body.trim().length === 0) return 'body must be a non-empty string';
    if (characterCount(c.body) > LIMITS.messageBodyCharsMax) return `body is longer than ${LIMITS.messageBodyCharsMax} characters`;
    if (c.type === 'text') return Object.keys(c).length === 3 ? undefined : 'text content has unknown fields';
    if (typeof c.editOf !== 'number' || !Number.isSafeInteger(c.editOf) || c.editOf < 1) return 'editOf must be a sequence number';
    return Object.keys(c).length === 4 ? undefined : 'edit content has unknown fields';
  }
  if (c.type === 'file') {
    try {
      checkId(c.fileId, 'fileId');
      if (fromBase64(c.key, 'key').length !== 32) return 'file key must be 32 bytes';
      if (fromBase64(c.iv, 'iv').length !== 12) return 'file iv must be 12 bytes';
      if (fromBase64(c.sha256, 'sha256').length !== 32) return 'sha256 must be 32 bytes';
      if (fromBase64(c.ciphertextSha256, 'ciphertextSha256').length !== 32) return 'ciphertextSha256 must be 32 bytes';
    } catch (err) {
      return (err as Error).message;
    }
    if (typeof c.name !== 'string' || c.name.length === 0 || characterCount(c.name) > LIMITS.fileNameChars) return 'file name is empty or too long';
    if (typeof c.mime !== 'string' || !MIMES.has(c.mime)) return 'file type is not allowed';
    if (!fileNameMatchesType(c.name, c.mime)) return 'file name must end in an allowed extension of its type, without control or bidi characters';
    if (typeof c.size !== 'number' || !Number.isSafeInteger(c.size) || c.size < 0 || c.size > LIMITS.fileBytes) return 'file size is out of range';
    return Object.keys(c).length === 10 ? undefined : 'file content has unknown fields';
  }
  return 'unknown content type';
}

/**
 * The sender's check against the deployment's limit (`maxChars`, LIMITS.messageBodyChars unless the
 * server says otherwise): its own typed error, so the UI can show the counter.
 */
export function assertSendable(content: MessageContent, maxChars: number = LIMITS.messageBodyChars): void {
  if ((content?.type === 'text' || content?.type === 'edit') && typeof content.body === 'string') {
    const length = characterCount(content.body);
    if (length > maxChars) throw new MessageTooLongError(length, maxChars, 'characters');
  }
}
