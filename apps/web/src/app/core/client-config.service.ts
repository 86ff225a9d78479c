import { inject, Injectable, signal } from '@angular/core';
import { LIMITS } from '@conclave/contracts';
import { ApiClient } from './api-client.service';

/**
 * The deployment's settings the browser follows (GET /api/config), asked once at start. Until the
 * answer (or if the server cannot be reached) the product's defaults hold: the server refuses what
 * its own limit does not allow, so a stale value only costs a clear refusal, never a wrong message.
 */
@Injectable({ providedIn: 'root' })
export class ClientConfigService {
  private readonly api = inject(ApiClient);

  /** Characters in a message (MESSAGE_MAX_CHARS on the server). */
  readonly messageChars = signal<number>(LIMITS.messageBodyChars);

  async load(): Promise<void> {
    try {
      const { messageChars } = await this.api.clientConfig();
      if (Number.isSafeInteger(messageChars) && messageChars >= 1 && messageChars <= LIMITS.messageBodyCharsMax) this.messageChars.set(messageChars);
    } catch (err) {
      console.warn('The server’s settings could not be loaded; the default message limit applies:', err);
    }
  }
}
