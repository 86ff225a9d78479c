import { TestBed } from '@angular/core/testing';
import { ConfirmActionComponent } from './confirm-action.component';

describe('ConfirmActionComponent', () => {
  async function render() {
    await TestBed.configureTestingModule({ imports: [ConfirmActionComponent] }).compileComponents();
    const fixture = TestBed.createComponent(ConfirmActionComponent);
    fixture.componentRef.setInput('label', 'Remove');
    fixture.componentRef.setInput('detail', 'bob');
    fixture.componentRef.setInput('question', 'Remove bob from General?');
    fixture.componentRef.setInput('confirmLabel', 'Yes, remove bob');
    const confirmed: number[] = [];
    fixture.componentInstance.confirmed.subscribe(() => confirmed.push(1));
    await fixture.whenStable();
    const el = fixture.nativeElement as HTMLElement;
    const button = (name: string) => [...el.querySelectorAll('button')].find((b) => b.textContent?.trim() === name);
    return { fixture, el, button, confirmed };
  }

  it('asks before acting, with Cancel focused, and acts only on the explicit yes', async () => {
    const { fixture, el, button, confirmed } = await render();
    expect(el.querySelector('button')?.textContent?.replace(/\s+/g, ' ').trim()).toBe('Remove bob');
    el.querySelector('button')!.click();
    await fixture.whenStable();
    expect(el.querySelector('[role="alertdialog"]')?.textContent).toContain('Remove bob from General?');
    expect(confirmed).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve));
    expect(document.activeElement?.textContent?.trim()).toBe('Cancel');

    button('Yes, remove bob')!.click();
    await fixture.whenStable();
    expect(confirmed).toEqual([1]);
    expect(el.querySelector('[role="alertdialog"]')).toBeNull();
  });

  it('does nothing when cancelled, with the button or Escape', async () => {
    const { fixture, el, button, confirmed } = await render();
    el.querySelector('button')!.click();
    await fixture.whenStable();
    button('Cancel')!.click();
    await fixture.whenStable();
    expect(el.querySelector('[role="alertdialog"]')).toBeNull();

    el.querySelector('button')!.click();
    await fixture.whenStable();
    el.querySelector('[role="alertdialog"]')!.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
    await fixture.whenStable();
    expect(el.querySelector('[role="alertdialog"]')).toBeNull();
    expect(confirmed).toEqual([]);
  });
});
