// End-to-end journeys in real headless Chromium against a RUNNING platform (the gateway serving web/dist):
//   (a) the enterprise: register → log in → forced change → log in → identifier enterprise → prefix → new
//       calculation (sub-industry, period, added value, identifier resolution with live progress, locked lines,
//       a manual line, reductions with evidence, preview drawer, compute, report, confirm) → evaluation
//       (questionnaire with evidence, neutralisation, computation, code issued) → code downloaded (PNG + SVG);
//   (b) the regulator: forced change → regional dashboard → map drill-down province → city → rankings and
//       energy structure → enterprise listing search → details;
//   (c) the public certificate page /c/<code> on a phone viewport;
//   plus every other console screen: metadata, benchmarks, subscriptions (regulator), the operator's pages.
// It starts nothing but the browser. Setup (benchmark) goes through the API: e2e/setup.mjs.
//
//   CARBONID_BASE_URL=http://127.0.0.1:8600 npm run e2e
// Screenshots: e2e/screenshots/NN-name.png (git-ignored).
import { readFileSync, rmSync, mkdirSync } from 'node:fs'
import { approveClaimOf, setup, PERIOD } from './setup.mjs'
import { PNG_1X1, SHOTS, apiResponse, assert, forcedChange, launch, login, pick, shot } from './lib/browser.mjs'
import { apiClient, uniqueName } from './lib/api.mjs'

const base = (process.env.CARBONID_BASE_URL || 'http://127.0.0.1:8000').replace(/\/$/, '')
const only = (process.env.CARBONID_E2E_ONLY || 'enterprise,regulator,operator,certificate').split(',')
const timings = {}
const failures = []

async function timed(name, fn) {
  const started = Date.now()
  try {
    return await fn()
  } finally {
    timings[name] = (Date.now() - started) / 1000
    console.log(`[e2e] ${name}: ${timings[name].toFixed(1)} s`)
  }
}

// ---------------------------------------------------------------------------------------------------------
async function enterpriseJourney(prefix, operator) {
  const b = await launch()
  const { page } = b
  const username = uniqueName('ent')
  const first = 'Start-Pass1'
  const second = 'Changed-Pass2'
  try {
    // 注册
    await page.goto(`${base}/register`)
    await page.fill('[data-test="username"]', username)
    await page.fill('[data-test="password"]', first)
    await page.fill('[data-test="password-confirm"]', first)
    await shot(page, 'register')
    await page.click('[data-test="submit"]')
    await page.waitForURL('**/login**')
    // 登录 → 重置密码 (forced) → 登录
    await page.fill('[data-test="username"]', username)
    await page.fill('[data-test="password"]', first)
    await shot(page, 'login')
    await page.click('[data-test="submit"]')
    await forcedChange(page, base, username, first, second, 'change-password')
    await page.waitForURL('**/home')

    // 获取企业数据: 是否为标识解析企业 → 是 → 前缀
    await page.locator('[data-test="is-identifier-enterprise"] label', { hasText: '是' }).click()
    await page.fill('[data-test="prefix"]', prefix)
    await shot(page, 'home-prefix')
    await page.click('[data-test="fetch"]')
    // Knowing a prefix binds nobody: the console shows the claim and its two proofs (a record on the
    // enterprise's own node, or approval). The operator approves it from its queue; the user checks.
    await page.waitForSelector('[data-test="binding-claim"]')
    const value = await page.textContent('[data-test="binding-value"]')
    assert(value.startsWith('carbonid-binding='), `the claim shows the value to publish (${value})`)
    await shot(page, 'home-binding-claim')
    await page.click('[data-test="check-binding"]')
    await page.waitForSelector('[data-test="not-approved"]')
    const api = apiClient(base)
    const approver = await api.post('identity', '/auth/login', { username: operator.username, password: operator.password }, { what: 'login operator' })
    await approveClaimOf(api, approver, username)
    await page.click('[data-test="check-binding"]')
    await page.waitForSelector('[data-test="enterprise-card"]')
    const card = await page.textContent('[data-test="enterprise-card"]')
    assert(card.includes(prefix) && card.includes('水泥'), `enterprise card shows ${prefix} (${card.slice(0, 120)})`)
    await shot(page, 'home-enterprise')
    await page.click('[data-test="next"]')
    await page.waitForURL('**/emissions')
    await page.click('[data-test="new-calculation"]')
    await page.waitForURL('**/emissions/new')

    // 新建计算: 细分行业 (lazy cascader C → 30 → 301 → 3011), 周期 (default: last year), 工业增加值
    await page.click('.el-cascader')
    for (const code of ['C ', '30 ', '301 ', '3011 ']) {
      await page.locator('.el-cascader-panel:visible .el-cascader-node', { hasText: code }).first().click()
    }
    await page.waitForSelector('text=碳酸钙（石灰石）分解') // the sub-industry's emission sources are shown
    const periodShown = await page.locator('[data-test="period-kind"]').textContent()
    assert(periodShown.includes('按年'), 'period kind defaults to 按年评效')
    await page.fill('[data-test="added-value"]', '38000')
    await shot(page, 'calc-basics')
    await page.click('[data-test="save-basics"]')
    await page.waitForURL(/\/emissions\/[0-9a-f-]{36}$/)

    // 标识解析请求: live progress over SSE, then 解析完成 fills locked lines
    await page.click('[data-test="resolve"]')
    await page.waitForSelector('[data-test="resolution-steps"] .el-timeline-item')
    await page.waitForFunction(() => document.querySelectorAll('[data-test="resolution-steps"] .el-timeline-item').length >= 3)
    await shot(page, 'resolution-progress')
    await page.waitForSelector('[data-test="resolve-done"]:not([disabled]):not(.is-disabled)')
    const steps = await page.locator('[data-test="resolution-steps"] .el-timeline-item').allTextContents()
    assert(steps.length >= 12 + 4, `resolution shows every step (got ${steps.length})`)
    assert(steps.some((s) => s.includes('12/12')) && steps.some((s) => s.includes('已发布')), 'monthly records and publication are shown')
    await shot(page, 'resolution-done')
    await page.click('[data-test="resolve-done"]')
    await page.waitForSelector('[data-test="resolved-lines"] [data-test="locked-line"]')
    const locked = await page.locator('[data-test="resolved-lines"] tbody tr').count()
    assert(locked >= 3, `locked resolved lines (got ${locked})`)
    await shot(page, 'calc-activity-resolved')

    // 新建指标: two manual lines (LPG kept, fuel oil removed later in the preview drawer)
    for (const [source, qty] of [['液化石油气', '12.5'], ['燃料油', '3']]) {
      await page.click('[data-test="new-indicator"]')
      await pick(page, page.locator('[data-test="line-source"]'), source)
      await page.fill('[data-test="line-quantity"]', qty)
      await pick(page, page.locator('[data-test="line-unit"]'), 't')
      await page.click('[data-test="line-save"]')
      await page.waitForSelector(`[data-test="manual-lines"] tbody tr:has-text("${source}")`)
    }
    await shot(page, 'calc-activity-manual')
    await page.click('[data-test="to-reductions"]')

    // 减排量 with evidence
    await page.fill('[data-test="ccer"]', '1200')
    await page.setInputFiles('.el-upload input[type=file]', { name: 'ccer-proof.png', mimeType: 'image/png', buffer: PNG_1X1 })
    await page.waitForSelector('text=ccer-proof.png')
    await shot(page, 'calc-reductions')

    // 预览并计算: drawer, remove a line with ×, 确认并计算
    await page.click('[data-test="preview"]')
    await page.waitForSelector('[data-test="would-compute"]')
    const drawerText = await page.textContent('[data-test="preview-lines"]')
    assert(drawerText.includes('液化石油气') && drawerText.includes('标识解析'), 'the drawer lists resolved and manual lines')
    assert((await page.locator('.el-drawer').textContent()).includes('1200'), 'the drawer shows the CCER reduction')
    await shot(page, 'calc-preview-drawer')
    const before = await page.locator('[data-test="preview-lines"] tbody tr').count()
    await page.locator('[data-test="preview-lines"] tbody tr', { hasText: '燃料油' }).locator('[data-test="remove-line"]').click()
    await page.waitForFunction((n) => document.querySelectorAll('[data-test="preview-lines"] tbody tr').length === n - 1, before)
    await page.waitForSelector('[data-test="would-compute"]')
    await page.click('[data-test="confirm-compute"]')
    await page.waitForSelector('[data-test="calc-summary"]')
    await page.waitForSelector('[data-test="calc-trace"] .el-timeline-item') // the trace replays step by step
    await page.click('[data-test="replay-skip"]')
    const traced = await page.locator('[data-test="calc-trace"] .el-timeline-item').count()
    assert(traced >= 10, `the computation trace is shown (${traced} steps)`)
    const figures = await page.textContent('[data-test="calc-summary"]')
    assert(/\d/.test(figures) && !figures.includes('—'), `computed figures shown (${figures})`)
    await shot(page, 'calc-computed')

    // 生成碳排放报告
    await page.click('[data-test="report"]')
    await page.waitForURL('**/report')
    const frame = page.frameLocator('iframe')
    await frame.locator('body').waitFor()
    const reportText = await frame.locator('body').textContent()
    assert(reportText.includes('浙江安吉方圆水泥') || reportText.includes('碳排放'), 'the report names the enterprise')
    await shot(page, 'calc-report')
    await page.click('text=返回')
    await page.waitForSelector('[data-test="confirm"]')

    // 确认 → 精准碳效计算 with the period preselected
    await page.click('[data-test="confirm"]')
    await page.waitForURL('**/evaluation**')
    await page.waitForSelector('[data-test="confirm-evaluation"]')
    await shot(page, 'evaluation-start')
    await page.click('[data-test="confirm-evaluation"]')

    // 碳表现问卷: one "yes" needing evidence (uploaded), the rest without evidence
    await page.waitForSelector('[data-test^="question-"]')
    const questionnaire = await page.evaluate(async () => {
      const res = await fetch('/api/evaluation/questionnaire', { headers: { Authorization: `Bearer ${sessionStorage.getItem('carbonid.access')}` } })
      return res.json()
    })
    let evidenceDone = false
    for (const q of questionnaire.questions) {
      const block = page.locator(`[data-test="question-${q.id}"]`)
      const withEvidence = q.options.find((o) => o.evidence_required)
      const plain = q.options.find((o) => !o.evidence_required) ?? q.options[0]
      const option = !evidenceDone && withEvidence ? withEvidence : plain
      await block.locator(`label:has(input[value="${option.value}"])`).click()
      if (option.evidence_required) {
        await block.locator('.el-upload input[type=file]').setInputFiles({ name: 'certificate.png', mimeType: 'image/png', buffer: PNG_1X1 })
        await page.waitForSelector('text=已上传')
        evidenceDone = true
      }
    }
    await shot(page, 'evaluation-questionnaire')
    await page.click('[data-test="questionnaire-next"]')

    // 碳中和计算
    await page.waitForSelector('[data-test="neutralisation"]')
    await shot(page, 'evaluation-neutralisation')
    await page.click('[data-test="neutralisation-next"]')

    // 碳效计算 replayed, then 生成碳效码
    await page.waitForSelector('[data-test="generate-code"]:not([disabled]):not(.is-disabled)', { timeout: 60000 })
    await page.waitForSelector('[data-test="evaluation-result"]')
    await shot(page, 'evaluation-computation')
    await page.click('[data-test="generate-code"]')

    // 碳效码生成: the certificate arrives through evaluation.completed → certificates
    await page.waitForSelector('[data-test="download-code"]:not([disabled]):not(.is-disabled)', { timeout: 45000 })
    await page.waitForFunction(() => {
      const img = document.querySelector('.el-dialog [data-test="grade-code"] img')
      return img && img.complete && img.naturalWidth >= 1200
    })
    await shot(page, 'evaluation-code-issued')
    const png = await download(page, () => page.click('[data-test="download-code"]'))
    assert(png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])), 'downloaded code is a PNG')
    await page.keyboard.press('Escape')

    // The progress bar lights up, history lists it, hovering the code offers 下载 (SVG too)
    await page.waitForSelector('[data-test="certificate-code"]')
    const code = (await page.textContent('[data-test="certificate-code"]')).trim()
    await page.hover('.el-card [data-test="grade-code"]')
    await shot(page, 'evaluation-done-hover')
    const svg = await download(page, () => page.click('.el-card [data-test="download-svg"]'))
    assert(svg.toString('utf8', 0, 400).includes('<svg'), 'downloaded code is an SVG')
    const history = await page.textContent('[data-test="evaluation-history"]')
    assert(history.includes('已完成'), 'history lists the completed evaluation')
    await page.locator('[data-test="evaluation-history"] tbody tr').first().locator('text=详情').click()
    await page.waitForSelector('.el-dialog:visible:has-text("评效详情")')
    await shot(page, 'evaluation-details')
    await page.keyboard.press('Escape')

    // 碳排放计算列表: the confirmed calculation, newest first
    await page.click('[data-test="menu"] >> text=碳排放管理')
    await page.waitForSelector('[data-test="calculations"] tbody tr:has-text("已确认")')
    await shot(page, 'emissions-list')
    return { username, code, pngBytes: png.length, svgBytes: svg.length }
  } catch (e) {
    await shot(page, 'FAILED-enterprise').catch(() => undefined)
    throw e
  } finally {
    failures.push(...b.errors.map((x) => `enterprise journey: ${x}`))
    await b.close()
  }
}

async function visit(page, menu, url, check) {
  await page.click(`[data-test="menu"] >> text=${menu}`)
  await page.waitForURL(url)
  await check()
}

async function download(page, action) {
  const [d] = await Promise.all([page.waitForEvent('download'), action()])
  const path = await d.path()
  return readFileSync(path)
}

// ---------------------------------------------------------------------------------------------------------
async function regulatorJourney(account, searchName) {
  const b = await launch()
  const { page } = b
  try {
    await login(page, base, account.username, account.password)
    await forcedChange(page, base, account.username, account.password, 'Gov-Changed2y', 'gov-change-password')
    await page.waitForURL('**/dashboard')
    await page.waitForSelector('[data-test="summary"]')
    // Zhejiang's province map by city, with this year's figures
    const map = page.locator('[data-test="map"]')
    await map.waitFor()
    await page.waitForFunction(() => {
      const el = document.querySelector('[data-test="map"]')
      return el?.__chart && el.__chart.getOption()?.series?.[0]?.data?.length > 0
    })
    const summary = await page.textContent('[data-test="summary"]')
    assert(!/碳排放总量[^0-9]*—/.test(summary), `summary has figures (${summary.slice(0, 120)})`)
    await shot(page, 'gov-dashboard')

    // Drill down: click 湖州市 on the canvas (its pixel from the chart instance)
    const point = await page.evaluate(() => {
      const el = document.querySelector('[data-test="map"]')
      const chart = el.__chart
      const [x, y] = chart.convertToPixel({ seriesIndex: 0 }, [119.95, 30.8]) // Huzhou
      return { x, y }
    })
    const box = await map.boundingBox()
    const [rankings] = await Promise.all([
      page.waitForResponse((r) => r.url().includes('/api/analytics/dashboard/rankings') && r.url().includes('region=330500')),
      page.mouse.click(box.x + point.x, box.y + point.y),
    ])
    await page.waitForSelector('.el-breadcrumb:has-text("湖州")')
    await page.waitForSelector('[data-test="map-fallback"]') // no county boundaries offline: ranked bars
    const ranked = await rankings.json()
    assert(ranked.items.length > 0, 'the city has ranked counties')
    const energy = await page.evaluate(async () => {
      const res = await fetch('/api/analytics/dashboard/energy-structure?region=330500', { headers: { Authorization: `Bearer ${sessionStorage.getItem('carbonid.access')}` } })
      return res.json()
    })
    assert(energy.items.length > 0, 'energy structure has carriers')
    await page.locator('.el-radio-button', { hasText: '企业' }).click()
    await page.waitForTimeout(500)
    await shot(page, 'gov-dashboard-huzhou')
    // The console scrolls inside its main pane: bring trends, energy structure and grades into view.
    await page.locator('.el-card', { hasText: '不同能源碳排放占比' }).first().scrollIntoViewIfNeeded()
    await shot(page, 'gov-dashboard-huzhou-charts')

    // 企业碳效数据: search, details
    await page.click('[data-test="menu"] >> text=企业碳效数据')
    await page.waitForURL('**/enterprises')
    await page.fill('[data-test="enterprise-search"]', searchName)
    await page.keyboard.press('Enter')
    await page.waitForSelector(`[data-test="enterprise-list"] tbody tr:has-text("${searchName}")`)
    await shot(page, 'gov-enterprises')
    await page.locator('[data-test="enterprise-list"] tbody tr', { hasText: searchName }).first().click()
    await page.waitForSelector('[data-test="enterprise-drawer"] [data-test="grade-code"]')
    await page.waitForSelector('[data-test="enterprise-evaluations"] tbody tr')
    await shot(page, 'gov-enterprise-details')
    await page.keyboard.press('Escape')

    // The other regulator screens: metadata (mappings, templates, nodes), benchmarks, event subscriptions
    await visit(page, '元数据管理', '**/metadata', async () => {
      await page.waitForSelector('.el-tab-pane:visible tbody tr')
      assert((await page.locator('.el-tab-pane:visible tbody tr').count()) >= 10, 'the default item→source mappings are listed')
      await shot(page, 'gov-metadata-mappings')
      await page.click('.el-tabs__item:has-text("模板")')
      await page.waitForSelector('.el-tab-pane:visible tbody tr:has-text("META.ENERGY_ACTIVITY")')
      await page.click('.el-tabs__item:has-text("标识解析节点")')
      await page.waitForSelector('.el-tab-pane:visible tbody tr:has-text("closed")')
      await shot(page, 'gov-metadata-nodes')
    })
    await visit(page, '基准发布', '**/benchmarks', async () => {
      await page.waitForSelector('[data-test="benchmark-preview"] tbody tr')
      await page.waitForSelector('tbody tr:has-text("330000-2025")')
      await shot(page, 'gov-benchmarks')
    })
    await visit(page, '事件订阅', '**/subscriptions', async () => {
      await page.click('button:has-text("新建")')
      await page.fill('.el-dialog input[placeholder="https://"]', 'http://127.0.0.1:9/carbonid-hook')
      await page.click('.el-dialog button:has-text("保存")')
      await page.waitForSelector('tbody tr:has-text("carbonid-hook")')
      await page.waitForSelector('.el-alert:has-text("whsec_")')
      await shot(page, 'gov-subscriptions')
    })
  } catch (e) {
    await shot(page, 'FAILED-regulator').catch(() => undefined)
    throw e
  } finally {
    failures.push(...b.errors.map((x) => `regulator journey: ${x}`))
    await b.close()
  }
}

// ---------------------------------------------------------------------------------------------------------
async function operatorTour(account) {
  const b = await launch()
  const { page } = b
  try {
    await login(page, base, account.username, account.password)
    await page.waitForURL('**/dashboard')
    await page.waitForFunction(() => document.querySelector('[data-test="map"]')?.__chart?.getOption()?.series?.[0]?.data?.length > 20)
    await shot(page, 'ops-dashboard-national')
    await visit(page, '评价规则集', '**/ops/rule-sets', async () => {
      await page.waitForSelector('tbody tr:has-text("zhejiang-2022/v1")')
      await shot(page, 'ops-rule-sets')
    })
    await visit(page, '排放因子库', '**/ops/factor-sets', async () => {
      await page.waitForSelector('tbody tr:has-text("ndrc-2013-guideline/v1")')
      await shot(page, 'ops-factor-sets')
    })
    await visit(page, '账号管理', '**/ops/accounts', async () => {
      await page.waitForSelector('tbody tr:has-text("operator01")')
      await shot(page, 'ops-accounts')
    })
  } catch (e) {
    await shot(page, 'FAILED-operator').catch(() => undefined)
    throw e
  } finally {
    failures.push(...b.errors.map((x) => `operator tour: ${x}`))
    await b.close()
  }
}

// ---------------------------------------------------------------------------------------------------------
async function certificatePage(code) {
  const b = await launch({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true })
  const { page } = b
  try {
    await page.goto(`${base}/c/${code}`)
    await page.waitForSelector('[data-test="signature"]')
    const sig = await page.textContent('[data-test="signature"]')
    assert(sig.includes('签名有效'), `signature verified (${sig})`)
    const body = await page.textContent('body')
    assert(body.includes(code) && body.includes('浙江安吉方圆水泥'), 'the page shows the code and the enterprise')
    await page.waitForFunction(() => [...document.images].every((i) => i.complete && i.naturalWidth > 0))
    const width = await page.evaluate(() => document.documentElement.scrollWidth)
    assert(width <= 390, `no horizontal scrolling on a phone (${width}px)`)
    await shot(page, 'certificate-mobile')
    await page.goto(`${base}/c/CE-330000-2025-1-AAAAAAAA-A`)
    await page.waitForSelector('.el-result')
    await shot(page, 'certificate-unknown-mobile')
  } catch (e) {
    await shot(page, 'FAILED-certificate').catch(() => undefined)
    throw e
  } finally {
    failures.push(...b.errors.map((x) => `certificate page: ${x}`))
    await b.close()
  }
}

// ---------------------------------------------------------------------------------------------------------
const started = Date.now()
rmSync(SHOTS, { recursive: true, force: true })
mkdirSync(SHOTS, { recursive: true })
let exitCode = 0
try {
  const env = await timed('setup (API: benchmark, accounts)', () => setup(base))
  let code = process.env.CARBONID_E2E_CODE
  if (only.includes('enterprise')) {
    const r = await timed('enterprise journey', () => enterpriseJourney(env.journeyPrefix, env.operator))
    code = r.code
    console.log(`[e2e] enterprise ${r.username}: certificate ${r.code} (PNG ${r.pngBytes} B, SVG ${r.svgBytes} B), period ${PERIOD}`)
  }
  if (only.includes('regulator')) await timed('regulator journey', () => regulatorJourney(env.regulator, '水泥'))
  if (only.includes('operator')) await timed('operator screens', () => operatorTour(env.operator))
  if (only.includes('certificate') && code) await timed('public certificate (mobile)', () => certificatePage(code))
} catch (e) {
  console.error(`[e2e] FAILED: ${e.stack ?? e}`)
  exitCode = 1
}
if (failures.length) {
  console.error(`[e2e] errors seen in the browser:\n  ${failures.join('\n  ')}`)
  exitCode = 1
}
console.log(`[e2e] ${exitCode ? 'FAILED' : 'passed'} in ${((Date.now() - started) / 1000).toFixed(1)} s; screenshots in ${SHOTS}`)
process.exit(exitCode)
