import { ALLOWED_FILE_TYPES, type AllowedMimeType } from '@conclave/contracts';

/** Bytes as people read them: "512 B", "12.5 KiB", "8.0 MiB". */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

/** What a type is called on screen: its usual extension in capitals (JPEG for image/jpeg). */
export function typeLabel(mime: AllowedMimeType): string {
  if (mime === 'image/jpeg') return 'JPEG';
  const extension = Object.entries(ALLOWED_FILE_TYPES).find(([, m]) => m === mime)?.[0];
  return extension ? extension.toUpperCase() : mime;
}

/** The types shown inline (after decryption and every check), from a blob: URL. */
export const PREVIEWED_TYPES: ReadonlySet<AllowedMimeType> = new Set(['image/png', 'image/jpeg', 'image/gif']);

/**
 * Images up to this size are previewed as their message comes into view; larger ones wait for
 * "Show image", so a room full of 8 MiB images does not pull (and hold) them all into every tab.
 */
export const AUTO_PREVIEW_MAX_BYTES = 2 * 1024 * 1024;

/** For the file picker: the allowed extensions (the content is checked after picking, whatever the picker let through). */
export const ACCEPTED_EXTENSIONS = Object.keys(ALLOWED_FILE_TYPES)
  .map((extension) => `.${extension}`)
  .join(',');
