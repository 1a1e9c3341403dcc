// Debian's Chromium driven by playwright-core (never `npx playwright install`), plus Element Plus helpers.
import { chromium } from 'playwright-core'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const SHOTS = join(dirname(fileURLToPath(import.meta.url)), '..', 'screenshots')
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']

/** A fresh persistent profile per context (removed on close): no state leaks between journeys or runs. */
export async function launch(options = {}) {
  mkdirSync(SHOTS, { recursive: true })
  const profile = mkdtempSync(join(tmpdir(), 'carbonid-e2e-'))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    headless: true,
    args: ARGS,
    viewport: { width: 1440, height: 900 },
    locale: 'zh-CN',
    acceptDownloads: true,
    ...options,
  })
  context.setDefaultTimeout(Number(process.env.CARBONID_E2E_TIMEOUT_MS || 30000))
  const page = context.pages()[0] ?? (await context.newPage())
  const errors = []
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`))
  page.on('response', (r) => {
    // A 5xx from the platform is a failure wherever it happens.
    if (r.url().includes('/api/') && r.status() >= 500) errors.push(`HTTP ${r.status()} ${r.request().method()} ${r.url()}`)
  })
  return {
    context,
    page,
    errors,
    async close() {
      await context.close()
      rmSync(profile, { recursive: true, force: true })
    },
  }
}

let shotNo = 0
/** A full-page screenshot named `NN-name.png`, in run order. */
export async function shot(page, name, { fullPage = true } = {}) {
  shotNo += 1
  const file = join(SHOTS, `${String(shotNo).padStart(2, '0')}-${name}.png`)
  await page.waitForTimeout(250) // let transitions (dialogs, drawers, charts) settle
  await page.screenshot({ path: file, fullPage })
  return file
}

/** Picks `text` in an Element Plus select (the dropdown is teleported to body). */
export async function pick(page, selectLocator, text) {
  await selectLocator.click()
  const item = page.locator('.el-select-dropdown:visible .el-select-dropdown__item', { hasText: text }).first()
  await item.click()
  await item.waitFor({ state: 'hidden' })
}

/** Waits until an API response matching `fragment` (and method) arrives and answers its JSON. */
export async function apiResponse(page, fragment, action, method = 'GET') {
  const [res] = await Promise.all([
    page.waitForResponse((r) => r.url().includes(fragment) && r.request().method() === method),
    action(),
  ])
  return { status: res.status(), body: await res.json().catch(() => null) }
}

export function assert(condition, message) {
  if (!condition) throw new Error(`assertion failed: ${message}`)
}

/** Log in through the form. */
export async function login(page, base, username, password) {
  await page.goto(`${base}/login`)
  await page.fill('[data-test="username"]', username)
  await page.fill('[data-test="password"]', password)
  await page.click('[data-test="submit"]')
}

/** The forced first change (manual §重置密码): change, get logged out, log in again. */
export async function forcedChange(page, base, username, oldPassword, newPassword, shotName) {
  await page.waitForURL('**/change-password')
  if (shotName) await shot(page, shotName)
  await page.fill('[data-test="old-password"]', oldPassword)
  await page.fill('[data-test="new-password"]', newPassword)
  await page.fill('[data-test="new-password-confirm"]', newPassword)
  await page.click('[data-test="submit"]')
  await page.waitForURL('**/login**')
  await login(page, base, username, newPassword)
}

/** A tiny valid PNG (1×1), as evidence files must be PDF/PNG/JPEG by their magic bytes. */
export const PNG_1X1 = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
)
