import { causes } from './database-unavailable.js';

/**
 * SQLSTATEs of text PostgreSQL refuses to store: U+0000 in a text value (22021
 * character_not_in_repertoire) and \u0000 in jsonb (22P05 untranslatable_character). Conclave sends
 * PostgreSQL no text but what a client wrote, so either means a client's string that
 * PayloadShapeMiddleware should have refused: the client's fault, never a 500.
 */
const UNSTORABLE_TEXT_SQLSTATES = new Set(['22021', '22P05']);

export const UNSTORABLE_TEXT_MESSAGE = 'The request carries text that cannot be stored: U+0000, or a string that is not well-formed Unicode';

export function isUnstorableText(error: unknown): boolean {
  return causes(error).some((e) => typeof e.code === 'string' && UNSTORABLE_TEXT_SQLSTATES.has(e.code));
}

/** `instanceof UnstorableText` is isUnstorableText, for @Catch(UnstorableText). */
export abstract class UnstorableText {
  static [Symbol.hasInstance](error: unknown): boolean {
    return isUnstorableText(error);
  }
}
