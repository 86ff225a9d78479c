import { Injectable } from '@angular/core';

/**
 * Unsent text per room, in memory only: switching rooms never carries a draft into another room,
 * and coming back finds it again. Forgotten when the chat stops (sign-out).
 */
@Injectable({ providedIn: 'root' })
export class DraftsService {
  private readonly drafts = new Map<string, string>();

  get(room: string): string {
    return this.drafts.get(room) ?? '';
  }

  set(room: string, text: string): void {
    if (text) this.drafts.set(room, text);
    else this.drafts.delete(room);
  }

  clear(): void {
    this.drafts.clear();
  }
}
