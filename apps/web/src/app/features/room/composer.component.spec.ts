import { provideHttpClient } from '@angular/common/http';
import { TestBed } from '@angular/core/testing';
import { ClientConfigService } from '../../core/client-config.service';
import { ComposerComponent } from './composer.component';

describe('ComposerComponent', () => {
  async function render() {
    await TestBed.configureTestingModule({ imports: [ComposerComponent], providers: [provideHttpClient()] }).compileComponents();
    const fixture = TestBed.createComponent(ComposerComponent);
    fixture.componentRef.setInput('room', 'ROOM');
    const sent: string[] = [];
    fixture.componentInstance.send.subscribe((text) => sent.push(text));
    const attached: File[][] = [];
    fixture.componentInstance.attach.subscribe((files) => attached.push(files));
    await fixture.whenStable();
    const el = fixture.nativeElement as HTMLElement;
    const area = el.querySelector('textarea')!;
    const type = async (text: string) => {
      area.value = text;
      area.dispatchEvent(new Event('input'));
      await fixture.whenStable();
    };
    const key = async (init: KeyboardEventInit) => {
      area.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', cancelable: true, ...init }));
      await fixture.whenStable();
    };
    const switchTo = async (room: string) => {
      fixture.componentRef.setInput('room', room);
      await fixture.whenStable();
    };
    return { el, area, sent, attached, type, key, switchTo };
  }

  it('counts code points against the 150-character limit', async () => {
    const { el, type } = await render();
    await type('hi 👋');
    expect(el.querySelector('#composer-count')?.textContent).toBe('4/150');
    await type('x'.repeat(151));
    expect(el.querySelector('#composer-count')?.classList).toContain('over');
    expect(el.querySelector<HTMLButtonElement>('button[type="submit"]')?.disabled).toBe(true);
  });

  it('follows the deployment’s limit and explains it once reached', async () => {
    const { el, type } = await render();
    TestBed.inject(ClientConfigService).messageChars.set(20);
    await type('x'.repeat(19));
    expect(el.querySelector('#composer-count')?.textContent).toBe('19/20');
    expect(el.querySelector('#composer-limit')).toBeNull();
    await type('x'.repeat(20));
    expect(el.querySelector('#composer-limit')?.textContent).toContain('at most 20 characters');
    expect(el.querySelector('textarea')?.getAttribute('aria-describedby')).toBe('composer-count composer-limit');
    await type('x'.repeat(23));
    expect(el.querySelector('#composer-limit')?.textContent).toContain('3 characters over');
    expect(el.querySelector<HTMLButtonElement>('button[type="submit"]')?.disabled).toBe(true);
  });

  it('sends on Enter, not on Shift+Enter, and empties the box', async () => {
    const { sent, type, key } = await render();
    await type('line one');
    await key({ shiftKey: true });
    expect(sent).toEqual([]);
    await key({});
    expect(sent).toEqual(['line one']);
    await key({});
    expect(sent).toEqual(['line one']);
  });

  it('keeps each room its own draft, and forgets the one that was sent', async () => {
    const { area, type, key, switchTo } = await render();
    await type('for the first room');
    await switchTo('SIDE');
    expect(area.value).toBe('');
    await type('for the side room');
    await switchTo('ROOM');
    expect(area.value).toBe('for the first room');
    await key({});
    await switchTo('SIDE');
    expect(area.value).toBe('for the side room');
    await switchTo('ROOM');
    expect(area.value).toBe('');
  });

  it('offers the picked files to share, from a labelled attach button limited to the allowed extensions', async () => {
    const { el, attached } = await render();
    const button = el.querySelector<HTMLButtonElement>('button[aria-label="Attach a file"]')!;
    const input = el.querySelector<HTMLInputElement>('input[type="file"]')!;
    expect(input.accept).toBe('.txt,.pdf,.png,.jpg,.jpeg,.gif');
    let opened = 0;
    input.addEventListener('click', () => opened++);
    button.click();
    expect(opened).toBe(1);
    const picked = new File(['hello'], 'hello.txt');
    Object.defineProperty(input, 'files', { value: [picked], configurable: true });
    input.dispatchEvent(new Event('change'));
    expect(attached).toEqual([[picked]]);
  });

  it('shares a pasted image instead of inserting it, and leaves pasted text alone', async () => {
    const { area, attached } = await render();
    const image = new File([new Uint8Array([0x89, 0x50])], 'image.png', { type: 'image/png' });
    const paste = (files: File[]) => {
      const event = new Event('paste', { cancelable: true }) as ClipboardEvent;
      Object.defineProperty(event, 'clipboardData', { value: { files } });
      area.dispatchEvent(event);
      return event;
    };
    expect(paste([image]).defaultPrevented).toBe(true);
    expect(attached).toEqual([[image]]);
    expect(paste([]).defaultPrevented).toBe(false);
    expect(attached).toHaveLength(1);
  });

  it('keeps Enter in the emoji search from submitting the form, and closes the picker on Escape, a room switch and a click outside', async () => {
    const { el, sent, type, switchTo } = await render();
    const toggle = el.querySelector<HTMLButtonElement>('button[aria-label="Insert emoji"]')!;
    const picker = () => el.querySelector('#emoji-picker');
    const open = async () => {
      toggle.click();
      await new Promise((resolve) => setTimeout(resolve));
      expect(picker()).not.toBeNull();
    };
    await type('half done');
    await open();
    const search = picker()!.querySelector('input')!;
    const enter = new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, cancelable: true });
    search.dispatchEvent(enter);
    expect(enter.defaultPrevented).toBe(true);
    expect(sent).toEqual([]);

    el.querySelector('textarea')!.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true, cancelable: true }));
    await new Promise((resolve) => setTimeout(resolve));
    expect(picker()).toBeNull();

    await open();
    await switchTo('SIDE');
    expect(picker()).toBeNull();

    await open();
    picker()!.dispatchEvent(new MouseEvent('click', { bubbles: true }));
    await new Promise((resolve) => setTimeout(resolve));
    expect(picker()).not.toBeNull();
    document.body.dispatchEvent(new MouseEvent('click', { bubbles: true }));
    await new Promise((resolve) => setTimeout(resolve));
    expect(picker()).toBeNull();
  }, 60_000); // the picker renders every emoji each time it opens: slow in jsdom
});
