import { ChangeDetectionStrategy, Component, signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { provideRouter, Router, RouterOutlet } from '@angular/router';
import { RouteFocusService } from './route-focus.service';

@Component({ template: `<main><h1>First screen</h1><button type="button">Go</button></main>`, changeDetection: ChangeDetectionStrategy.OnPush })
class FirstScreen {}

@Component({ template: `<main><h1>Second screen</h1></main>`, changeDetection: ChangeDetectionStrategy.OnPush })
class SecondScreen {}

/** A screen whose heading comes later, as a room's does with the room's data. */
@Component({
  template: `<main>@if (ready()) { <h1>Late screen</h1> }</main>`,
  changeDetection: ChangeDetectionStrategy.OnPush,
})
class LateScreen {
  static readonly ready = signal(false);
  protected readonly ready = LateScreen.ready;
}

@Component({ imports: [RouterOutlet], template: `<router-outlet />`, changeDetection: ChangeDetectionStrategy.OnPush })
class Shell {}

const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

async function setUp() {
  TestBed.configureTestingModule({
    providers: [
      provideRouter([
        { path: '', component: FirstScreen },
        { path: 'second', component: SecondScreen },
        { path: 'late', component: LateScreen },
      ]),
    ],
  });
  const focus = TestBed.inject(RouteFocusService);
  focus.start();
  const fixture = TestBed.createComponent(Shell);
  const router = TestBed.inject(Router);
  await router.navigateByUrl('/');
  await fixture.whenStable();
  await settle();
  return { fixture, router, focus };
}

const active = () => document.activeElement as HTMLElement | null;

describe('RouteFocusService', () => {
  beforeEach(() => LateScreen.ready.set(false));

  it('leaves focus alone on the first navigation (the page load)', async () => {
    await setUp();
    expect(active()?.tagName).not.toBe('H1');
  });

  it('moves focus to the new screen heading after a navigation, made focusable with tabindex=-1', async () => {
    const { fixture, router } = await setUp();
    await router.navigateByUrl('/second');
    await fixture.whenStable();
    await settle();
    expect(active()?.textContent).toBe('Second screen');
    expect(active()?.getAttribute('tabindex')).toBe('-1');
  });

  it('waits for a heading that renders later', async () => {
    const { fixture, router } = await setUp();
    await router.navigateByUrl('/late');
    await fixture.whenStable();
    await settle();
    expect(active()?.tagName).not.toBe('H1');
    LateScreen.ready.set(true);
    await fixture.whenStable();
    await settle();
    expect(active()?.textContent).toBe('Late screen');
  });

  it('does not take focus back from something the new screen focused itself', async () => {
    const { fixture, router } = await setUp();
    const elsewhere = document.createElement('input');
    document.body.appendChild(elsewhere);
    try {
      await router.navigateByUrl('/late');
      elsewhere.focus();
      LateScreen.ready.set(true);
      await fixture.whenStable();
      await settle();
      expect(active()).toBe(elsewhere);
    } finally {
      elsewhere.remove();
    }
  });

  it('focuses the main heading for the skip link', async () => {
    const { focus } = await setUp();
    expect(focus.focusContent()).toBe(true);
    expect(active()?.textContent).toBe('First screen');
  });
});
