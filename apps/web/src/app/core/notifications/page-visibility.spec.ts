import { TestBed } from '@angular/core/testing';
import { PageVisibility } from './page-visibility';

describe('PageVisibility', () => {
  const show = (state: DocumentVisibilityState) => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => state });
    document.dispatchEvent(new Event('visibilitychange'));
  };
  afterEach(() => delete (document as { visibilityState?: unknown }).visibilityState);

  it('follows the tab being hidden and shown again', () => {
    show('visible');
    const visibility = TestBed.inject(PageVisibility);
    expect(visibility.hidden()).toBe(false);
    show('hidden');
    expect(visibility.hidden()).toBe(true);
    show('visible');
    expect(visibility.hidden()).toBe(false);
  });

  it('stops listening when the app is torn down', () => {
    const visibility = TestBed.inject(PageVisibility);
    TestBed.resetTestingModule();
    show('hidden');
    expect(visibility.hidden()).toBe(false);
  });
});
