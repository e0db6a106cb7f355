/** Helpers for tests that drive the demo page with playwright. */
import type { Page } from 'playwright'

/** Move a slider as a hand would: set its value and let the page hear `input` and `change`. */
export async function slide (page: Page, selector: string, value: number): Promise<void> {
  await page.locator(selector).evaluate((el, v) => {
    const input = el as HTMLInputElement
    input.value = String(v)
    input.dispatchEvent(new Event('input', { bubbles: true }))
    input.dispatchEvent(new Event('change', { bubbles: true }))
  }, value)
}
