import { CryptoError, CryptoUnavailableError } from './errors.js';

/** True where the protocol can run: WebCrypto present (browsers expose it only in secure contexts). */
export function isWebCryptoAvailable(): boolean {
  return typeof globalThis.crypto?.subtle?.importKey === 'function';
}

export function subtle(): SubtleCrypto {
  if (!isWebCryptoAvailable()) throw new CryptoUnavailableError();
  return globalThis.crypto.subtle;
}

export function randomBytes(length: number): Uint8Array<ArrayBuffer> {
  if (!isWebCryptoAvailable()) throw new CryptoUnavailableError();
  return globalThis.crypto.getRandomValues(new Uint8Array(length));
}

/**
 * Runs a WebCrypto operation, turning its DOMException (OperationError, DataError, …) into the
 * typed error the caller names.
 */
export async function attempt<T>(operation: () => Promise<T>, onError: (cause: unknown) => Error): Promise<T> {
  try {
    return await operation();
  } catch (cause) {
    throw cause instanceof CryptoError ? cause : onError(cause);
  }
}
