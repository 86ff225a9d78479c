import { Injectable, signal } from '@angular/core';
import { isWebCryptoAvailable } from '@conclave/crypto';

/**
 * The web app's one door to libs/crypto: every encryption, signature and key operation of the
 * protocol goes through here (the account and chat screens add theirs).
 */
@Injectable({ providedIn: 'root' })
export class CryptoService {
  /**
   * Browsers expose WebCrypto only in secure contexts (https, localhost). Without it nothing can be
   * encrypted, so the app says so instead of failing later.
   */
  readonly available = signal(isWebCryptoAvailable()).asReadonly();
}
