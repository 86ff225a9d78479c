import { inject, Injectable } from '@angular/core';
import { ApiClient } from './api-client.service';
import { ContactStore } from './chat/contact-store.service';
import { CryptoService } from './crypto.service';
import { SessionService } from './session.service';

export type PasswordChangeStep = 'deriving' | 'checking' | 'sealing' | 'saving';

/**
 * The password change (docs/protocol.md §4.1 and §5.4): both passwords stay in this browser. The current one's
 * authKey fetches the key backup and proves the change; the backup and the contact book are sealed
 * again under the new password's wrapKey, and the server swaps all three in one transaction and
 * signs out the user's other sessions.
 */
@Injectable({ providedIn: 'root' })
export class AccountService {
  private readonly api = inject(ApiClient);
  private readonly crypto = inject(CryptoService);
  private readonly session = inject(SessionService);
  private readonly contacts = inject(ContactStore);

  async changePassword(currentPassword: string, newPassword: string, onStep: (step: PasswordChangeStep) => void): Promise<void> {
    const user = this.session.user();
    if (!user) throw new Error('Not signed in');
    onStep('deriving');
    const [current, next] = await Promise.all([
      this.crypto.deriveAccountKeys(currentPassword, user.username),
      this.crypto.deriveAccountKeys(newPassword, user.username),
    ]);
    onStep('checking');
    const backup = await this.api.keyBackup({ authKey: current.authKey });
    onStep('sealing');
    const newKeyBackup = await this.crypto.rewrapKeyBackup(backup, current.wrapKey, next.wrapKey, user.id);
    await this.contacts.resealWith(user.id, next.wrapKey, async (newContactBook) => {
      onStep('saving');
      await this.api.changePassword({ currentAuthKey: current.authKey, newAuthKey: next.authKey, newKeyBackup, newContactBook });
      await this.session.replaceWrapKey(next.wrapKey);
    });
  }
}
