import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import { AuthPendingComponent } from './auth-pending.component';

describe('AuthPendingComponent', () => {
  async function render(action: 'sign-in' | 'sign-up'): Promise<HTMLElement> {
    await TestBed.configureTestingModule({ imports: [AuthPendingComponent], providers: [provideRouter([])] }).compileComponents();
    const fixture = TestBed.createComponent(AuthPendingComponent);
    fixture.componentRef.setInput('action', action);
    await fixture.whenStable();
    return fixture.nativeElement as HTMLElement;
  }

  it('titles the page after the entry point the user chose', async () => {
    expect((await render('sign-up')).querySelector('h1')?.textContent).toBe('Create your account');
    TestBed.resetTestingModule();
    expect((await render('sign-in')).querySelector('h1')?.textContent).toBe('Sign in to Conclave');
  });

  it('says plainly that accounts are not open yet, as a status', async () => {
    const status = (await render('sign-in')).querySelector('[role="status"]');
    expect(status?.textContent).toContain('does not accept accounts yet');
  });
});
