import { signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import { ALLOWED_FILE_TYPES, LIMITS } from '@conclave/contracts';
import { CryptoService } from '../../core/crypto.service';
import { LandingComponent } from './landing.component';

describe('LandingComponent', () => {
  async function render(cryptoAvailable = true): Promise<HTMLElement> {
    await TestBed.configureTestingModule({
      imports: [LandingComponent],
      providers: [provideRouter([]), { provide: CryptoService, useValue: { available: signal(cryptoAvailable) } }],
    }).compileComponents();
    const fixture = TestBed.createComponent(LandingComponent);
    await fixture.whenStable();
    return fixture.nativeElement as HTMLElement;
  }

  it('names the product and what it is', async () => {
    const el = await render();
    expect(el.querySelector('h1')?.textContent).toBe('Conclave');
    expect(el.querySelector('.tagline')?.textContent).toContain('End-to-end encrypted');
  });

  it('offers the two account entry points, create first', async () => {
    const el = await render();
    const links = [...el.querySelectorAll<HTMLAnchorElement>('nav[aria-label="Account"] a')];
    expect(links.map((a) => [a.textContent?.trim(), a.getAttribute('href')])).toEqual([
      ['Create account', '/sign-up'],
      ['Sign in', '/sign-in'],
    ]);
  });

  it('states the limits from the shared contracts, not copies of them', async () => {
    const el = await render();
    const text = el.textContent ?? '';
    expect(text).toContain(`${LIMITS.roomCodeLength}-character code`);
    expect(text).toContain(`${LIMITS.fileBytes / 1024 / 1024} MiB`);
    for (const ext of Object.keys(ALLOWED_FILE_TYPES)) expect(text).toContain(ext.toUpperCase());
  });

  it('warns, as an alert, when the browser cannot encrypt (no WebCrypto outside a secure context)', async () => {
    expect((await render(true)).querySelector('[role="alert"]')).toBeNull();
    TestBed.resetTestingModule();
    expect((await render(false)).querySelector('[role="alert"]')?.textContent).toContain('cannot encrypt');
  });
});
