import { TestBed } from '@angular/core/testing';
import type { ApiTokenSummary, CreateApiTokenRequest, CreatedApiToken } from '@conclave/contracts';
import { AdminApi } from '../../core/admin/admin-api.service';
import { ApiError } from '../../core/api-client.service';
import { AdminTokensComponent, tokenStatus } from './admin-tokens.component';

const DAY = 86_400_000;
const summary = (extra: Partial<ApiTokenSummary> = {}): ApiTokenSummary => ({
  id: 't-1',
  name: 'ci',
  scopes: ['rooms:read'],
  createdBy: { id: 'u-1', username: 'ada' },
  createdAt: new Date().toISOString(),
  expiresAt: new Date(Date.now() + DAY).toISOString(),
  lastUsedAt: null,
  lastUsedIp: null,
  revokedAt: null,
  active: true,
  ...extra,
});

class FakeAdminApi {
  list: ApiTokenSummary[] = [];
  requests: CreateApiTokenRequest[] = [];
  refuse?: ApiError;
  async tokens() {
    return this.list;
  }
  async createToken(body: CreateApiTokenRequest): Promise<CreatedApiToken> {
    this.requests.push(body);
    if (this.refuse) throw this.refuse;
    return { ...summary({ id: 't-2', name: body.name, scopes: body.scopes, expiresAt: body.expiresAt }), token: 'cnk_secret' };
  }
  async revokeToken(id: string) {
    return summary({ id, revokedAt: new Date().toISOString(), active: false });
  }
}

describe('tokenStatus', () => {
  it('names revoked, expired, unusable and active tokens', () => {
    expect(tokenStatus(summary({ revokedAt: '2026-01-01T00:00:00Z', active: false }))).toBe('Revoked');
    expect(tokenStatus(summary({ expiresAt: new Date(Date.now() - 1000).toISOString(), active: false }))).toBe('Expired');
    expect(tokenStatus(summary({ active: false }))).toContain('no longer an enabled admin');
    expect(tokenStatus(summary())).toBe('Active');
  });
});

describe('AdminTokensComponent', () => {
  let api: FakeAdminApi;

  async function render() {
    api = new FakeAdminApi();
    await TestBed.configureTestingModule({ imports: [AdminTokensComponent], providers: [{ provide: AdminApi, useValue: api }] }).compileComponents();
    const fixture = TestBed.createComponent(AdminTokensComponent);
    const el = fixture.nativeElement as HTMLElement;
    const settle = async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      await fixture.whenStable();
    };
    const type = (selector: string, value: string) => {
      const input = el.querySelector<HTMLInputElement>(selector)!;
      input.value = value;
      input.dispatchEvent(new Event('input'));
    };
    const check = (scope: string) => {
      const box = [...el.querySelectorAll<HTMLLabelElement>('.scopes label')].find((l) => l.textContent?.includes(scope))!.querySelector('input')!;
      box.checked = true;
      box.dispatchEvent(new Event('change'));
    };
    const submit = () => el.querySelector<HTMLButtonElement>('form.create button[type="submit"]')!.click();
    await settle();
    return { el, settle, type, check, submit };
  }

  it('creates a token with the chosen scopes, 90 days by default, and shows its secret once', async () => {
    const { el, settle, type, check, submit } = await render();
    expect(el.querySelector<HTMLInputElement>('#token-days')!.value).toBe('90');
    type('#token-name', ' deploy bot ');
    check('users:read');
    check('rooms:read');
    submit();
    await settle();
    const [request] = api.requests;
    expect(request).toMatchObject({ name: 'deploy bot', scopes: ['rooms:read', 'users:read'] });
    const days = (Date.parse(request!.expiresAt) - Date.now()) / DAY;
    expect(days).toBeGreaterThan(89.99);
    expect(days).toBeLessThanOrEqual(90);

    expect(el.querySelector<HTMLInputElement>('#new-token')!.value).toBe('cnk_secret');
    expect(el.textContent).toContain('You will not see it again');
    expect(el.querySelector('ul.token-list')?.textContent).toContain('deploy bot');
    expect(el.querySelector('ul.token-list')?.textContent).not.toContain('cnk_secret');

    [...el.querySelectorAll('button')].find((b) => b.textContent?.includes('Done'))!.click();
    await settle();
    expect(el.querySelector('#new-token')).toBeNull();
    expect(el.textContent).not.toContain('cnk_secret');
  });

  it('refuses a nameless token, one without scopes and an expiry beyond a year, before asking the server', async () => {
    const { el, settle, type, check, submit } = await render();
    submit();
    await settle();
    expect(el.querySelector('[role="alert"]')?.textContent).toContain('Give the token a name');
    type('#token-name', 'x');
    submit();
    await settle();
    expect(el.querySelector('[role="alert"]')?.textContent).toContain('Choose at least one scope');
    check('audit:read');
    type('#token-days', '366');
    submit();
    await settle();
    expect(el.querySelector('[role="alert"]')?.textContent).toContain('Choose from 1 to 365 days');
    expect(api.requests).toEqual([]);
  });

  it('shows the server’s refusal', async () => {
    const { el, settle, type, check, submit } = await render();
    api.refuse = new ApiError(400, 'expiresAt must be at most 365 days away');
    type('#token-name', 'x');
    check('audit:read');
    submit();
    await settle();
    expect(el.querySelector('[role="alert"]')?.textContent).toContain('expiresAt must be at most 365 days away');
    expect(el.querySelector('#new-token')).toBeNull();
  });
});
