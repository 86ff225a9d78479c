/** Puts `text` on the clipboard; false when the browser did not allow it (the caller then shows the text to copy by hand). */
export async function copyText(text: string): Promise<boolean> {
  try {
    await globalThis.navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}
