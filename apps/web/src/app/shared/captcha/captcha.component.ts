import { ChangeDetectionStrategy, Component, CUSTOM_ELEMENTS_SCHEMA, type ElementRef, inject, output, signal, viewChild } from '@angular/core';
import type { CaptchaConfig } from '@conclave/contracts';
import 'altcha/external';
import { ApiClient } from '../../core/api-client.service';

declare global {
  // eslint-disable-next-line no-var
  var grecaptcha: { render(el: HTMLElement, options: Record<string, unknown>): number; reset(id?: number): void } | undefined;
}

// The CSP-friendly ALTCHA build ships no workers: its PBKDF2 worker is served from /altcha/ (angular.json assets).
globalThis.$altcha.algorithms.set('PBKDF2/SHA-256', () => new Worker('/altcha/pbkdf2.js'));

/**
 * The sign-up captcha the server asks for: the self-hosted ALTCHA proof-of-work widget, or Google
 * reCAPTCHA v2 when the server is configured for it. Emits the solution to submit (null when it lapses).
 */
@Component({
  selector: 'cv-captcha',
  schemas: [CUSTOM_ELEMENTS_SCHEMA],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    @switch (provider()) {
      @case ('altcha') {
        <altcha-widget #altcha (verified)="solved.emit($any($event).detail.payload)" (expired)="lapsed()"></altcha-widget>
      }
      @case ('recaptcha') {
        <div #recaptcha></div>
      }
    }
    @if (error()) {
      <p class="field-error" role="alert">{{ error() }}</p>
    }
  `,
})
export class CaptchaComponent {
  private readonly api = inject(ApiClient);
  readonly solved = output<string | null>();
  protected readonly provider = signal<CaptchaConfig['provider'] | null>(null);
  protected readonly error = signal<string | null>(null);
  private readonly altcha = viewChild<ElementRef<HTMLElement & { configure(c: object): Promise<void>; reset(): void }>>('altcha');
  private readonly recaptcha = viewChild<ElementRef<HTMLElement>>('recaptcha');
  private recaptchaId?: number;

  constructor() {
    void this.load();
  }

  /** A new challenge: after a refused sign-up, or when the solution expired. */
  async reset(): Promise<void> {
    this.solved.emit(null);
    if (this.provider() === 'recaptcha' && globalThis.grecaptcha) return globalThis.grecaptcha.reset(this.recaptchaId);
    await this.load(true);
  }

  protected lapsed(): void {
    void this.reset();
  }

  private async load(again = false): Promise<void> {
    try {
      const config = await this.api.captcha();
      this.error.set(null);
      this.provider.set(config.provider);
      await new Promise((resolve) => setTimeout(resolve)); // let the widget's element render
      if (config.provider === 'altcha') {
        const widget = this.altcha()?.nativeElement;
        // A new challenge alone leaves the widget saying "Verified": back to unsolved first.
        if (again) widget?.reset();
        await widget?.configure({ challenge: config.challenge, hideFooter: true });
      } else {
        await this.renderRecaptcha(config.siteKey);
      }
    } catch {
      this.error.set('The captcha could not be loaded: reload the page to try again');
    }
  }

  private async renderRecaptcha(siteKey: string): Promise<void> {
    if (!globalThis.grecaptcha) {
      await new Promise<void>((resolve, reject) => {
        const script = document.createElement('script');
        script.src = 'https://www.google.com/recaptcha/api.js?render=explicit';
        script.async = true;
        script.onload = () => resolve();
        script.onerror = () => reject(new Error('reCAPTCHA did not load'));
        document.head.appendChild(script);
      });
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const host = this.recaptcha()?.nativeElement;
    if (!host || !globalThis.grecaptcha) throw new Error('reCAPTCHA is not available');
    this.recaptchaId = globalThis.grecaptcha.render(host, {
      sitekey: siteKey,
      callback: (token: string) => this.solved.emit(token),
      'expired-callback': () => this.solved.emit(null),
    });
  }
}
