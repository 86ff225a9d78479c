import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import { ApiError } from '../../core/api-client.service';
import { SessionService } from '../../core/session.service';
import { SignInComponent } from './sign-in.component';

describe('SignInComponent', () => {
  async function signInAnswered(err: Error): Promise<HTMLElement> {
    await TestBed.configureTestingModule({
      imports: [SignInComponent],
      providers: [provideRouter([]), { provide: SessionService, useValue: { signIn: () => Promise.reject(err) } }],
    }).compileComponents();
    const fixture = TestBed.createComponent(SignInComponent);
    const el = fixture.nativeElement as HTMLElement;
    await fixture.whenStable();
    for (const [label, value] of [['si-username', 'dora'], ['si-password', 'dora has a long passphrase']]) {
      const input = el.querySelector<HTMLInputElement>(`#${label}`)!;
      input.value = value!;
      input.dispatchEvent(new Event('input'));
    }
    await fixture.whenStable();
    el.querySelector<HTMLButtonElement>('button[type="submit"]')!.click();
    await new Promise((resolve) => setTimeout(resolve, 10));
    await fixture.whenStable();
    return el;
  }

  it('shows a disabled account (403) in the server’s words', async () => {
    const el = await signInAnswered(new ApiError(403, 'This account has been disabled by an administrator'));
    expect(el.querySelector('[role="alert"]')?.textContent?.trim()).toBe('This account has been disabled by an administrator');
    expect(el.querySelector('.attempts-left')).toBeNull();
  });
});
