// Browser smoke test skeleton: Debian's Chromium driven by playwright-core (never `npx playwright install`).
// Usage: CARBONID_BASE_URL=http://127.0.0.1:4173 node e2e/smoke.mjs
// Full journeys (register → change password → bind → calculate → evaluate → certificate) come with the stack.
import { chromium } from 'playwright-core'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const base = (process.env.CARBONID_BASE_URL || 'http://127.0.0.1:4173').replace(/\/$/, '')
const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium'
const shots = join(dirname(fileURLToPath(import.meta.url)), 'screenshots')
mkdirSync(shots, { recursive: true })
const profile = mkdtempSync(join(tmpdir(), 'carbonid-e2e-'))

const context = await chromium.launchPersistentContext(profile, {
  executablePath,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  viewport: { width: 1280, height: 800 },
  locale: 'zh-CN',
})
const failures = []
try {
  const page = context.pages()[0] ?? (await context.newPage())
  page.on('pageerror', (e) => failures.push(`page error: ${e.message}`))

  // 1. An unauthenticated visit lands on the login page, in Chinese by default.
  await page.goto(`${base}/`, { waitUntil: 'networkidle' })
  await page.waitForSelector('[data-test="username"]')
  if (!(await page.textContent('body')).includes('登录')) failures.push('login page is not in Chinese')
  await page.screenshot({ path: join(shots, 'login.png'), fullPage: true })

  // 2. Client-side rules of the register form (no server needed).
  await page.goto(`${base}/register`, { waitUntil: 'networkidle' })
  await page.fill('[data-test="username"]', 'abc')
  await page.fill('[data-test="password"]', 'abcdefgh')
  await page.fill('[data-test="password-confirm"]', 'x')
  await page.click('[data-test="submit"]')
  await page.waitForSelector('.el-form-item__error')
  const errors = await page.locator('.el-form-item__error').allTextContents()
  if (errors.length < 3) failures.push(`expected 3 field errors, got ${JSON.stringify(errors)}`)
  await page.screenshot({ path: join(shots, 'register-validation.png'), fullPage: true })

  // 3. English switch.
  await page.click('[data-test="lang-switch"]')
  await page.waitForFunction(() => document.body.innerText.includes('Register'))
  await page.screenshot({ path: join(shots, 'register-en.png'), fullPage: true })

  // 4. The public certificate route renders without login (its data needs the backend).
  await page.goto(`${base}/c/UNKNOWN`, { waitUntil: 'networkidle' })
  await page.screenshot({ path: join(shots, 'certificate-unknown.png'), fullPage: true })
} finally {
  await context.close()
  rmSync(profile, { recursive: true, force: true })
}
if (failures.length) {
  console.error(failures.join('\n'))
  process.exit(1)
}
console.log(`e2e smoke passed; screenshots in ${shots}`)
