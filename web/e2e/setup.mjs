// E2E setup through the public API only (no database writes): an evaluation needs a published industry
// benchmark, i.e. at least 5 enterprises of the industry (or of an enclosing GB/T 4754 level) in a region
// scope with confirmed calculations of the year, published by a government user.
//
// The only government scopes are provinces, cities and counties, and the identifier node's demo data has
// three cement (3011) enterprises in Zhejiang; so the setup confirms 2025 calculations for six Zhejiang
// manufacturing (section C) enterprises and a government user of 330000 publishes the set: the journey's
// cement enterprise is then graded against the Zhejiang section-C benchmark (3011 and division 30 stay below
// the minimum sample and are set aside, as the domain says).
//
// Built-in accounts: the operator of services/identity/seed/demo-accounts.json (seeded by the stack, or by the
// wrapper with `carbonid-identity seed` under --no-demo) creates fresh government accounts per run through
// POST /admin/users. When the demo loader (deploy/demo) has published a 2025 Zhejiang set, nothing is seeded.
//
// Usage: CARBONID_BASE_URL=http://127.0.0.1:8600 node e2e/setup.mjs   (prints JSON)
import { apiClient, builtInLogin, newEnterpriseUser, retrying, uniqueName, waitFor } from './lib/api.mjs'

export const YEAR = 2025
export const PERIOD = String(YEAR)
export const SCOPE = '330000'
/** Zhejiang manufacturing (C) enterprises of the node's demo data, other than the journey's own. Chosen without
 * purchased steam and outside class 3311, which did not compute before commit c7b9baa (calculator). */
export const SEED_PREFIXES = ['88.118.8', '88.118.10', '88.118.11', '88.118.12', '88.118.23']
export const JOURNEY_PREFIX = '88.118.9'
// The changed password is the demo loader's (deploy/demo README): whoever did the forced change first, the
// other finds a working password at the first attempt (failed logins count towards identity's lockout).
const OPERATOR = { username: 'operator01', demo: 'Demo-0perator!', own: process.env.CARBONID_E2E_OPERATOR_PASSWORD || 'CarbonID#Demo1' }
const PASSWORD = 'Start-Pass1'
const CHANGED = 'Changed-Pass2'

function log(...args) {
  if (process.env.CARBONID_E2E_QUIET !== '1') console.error('[setup]', ...args)
}

/** One enterprise: account, binding, resolved activity, computed and confirmed 2025 calculation. */
async function confirmEnterprise(api, operator, prefix) {
  const username = uniqueName('seed')
  let session = await newEnterpriseUser(api, username, PASSWORD, CHANGED)
  const profile = await api.post('resolver', '/enterprises/resolve', { prefix }, { token: session.access_token, what: `resolve ${prefix}` })
  // Knowing a prefix binds nobody: the operator approves the claim (the resolver binds the account in identity).
  await approveClaim(api, operator, profile.binding)
  session = await api.post('identity', '/auth/refresh', { refresh_token: session.refresh_token }, { what: 'refresh' })
  const token = session.access_token
  const resolution = await api.post('resolver', `/enterprises/${profile.id}/activity-resolutions`, { period: PERIOD }, { token, query: { wait: 'true' }, what: `resolve activity ${prefix}` })
  const added = resolution.result?.production?.find((p) => p.item_code === 'industrialAddedValue')?.quantity ?? '50000'
  const calc = await retrying(
    () => api.post('calculator', '/calculations', { sub_industry_code: profile.industry.code, period: PERIOD, added_value_10k_cny: added }, { token, what: `new calculation ${prefix}` }),
    ['enterprise-unknown'],
  )
  await retrying(() => api.post('calculator', `/calculations/${calc.id}/resolved-activity`, {}, { token, what: `attach activity ${prefix}` }), ['resolved-activity-missing'])
  await api.post('calculator', `/calculations/${calc.id}/compute`, {}, { token, what: `compute ${prefix}` })
  const confirmed = await api.post('calculator', `/calculations/${calc.id}/confirm`, {}, { token, what: `confirm ${prefix}` })
  log(`${prefix} ${profile.name} ${profile.industry.code}: ${confirmed.total_emissions_tco2} t CO2, added value ${added}`)
  return confirmed
}

/** The operator approves an enterprise account's pending claim to its enterprise (one of the two proofs). */
export async function approveClaim(api, operator, claim) {
  if (!claim || claim.status !== 'pending') return
  await api.post('resolver', `/binding-claims/${claim.id}/approve`, {}, { token: operator.access_token, what: `approve claim ${claim.id}` })
}

/** The operator finds an account's pending claim in its queue and approves it. */
export async function approveClaimOf(api, operator, username) {
  const queue = await api.get('resolver', '/binding-claims', { token: operator.access_token, query: { limit: '500' } })
  const claim = (queue.items ?? []).find((c) => c.username === username)
  if (!claim) throw new Error(`no pending claim of ${username}`)
  await approveClaim(api, operator, claim)
}

export async function setup(base) {
  const api = apiClient(base)
  const started = Date.now()
  const operator = await builtInLogin(api, OPERATOR.username, OPERATOR.demo, OPERATOR.own)
  const createGov = (stem, mustChange) => {
    const username = uniqueName(stem)
    const password = 'Gov-Start1x'
    return api
      .post('identity', '/admin/users', { username, password, role: 'government', region_scope: SCOPE, must_change_password: mustChange }, { token: operator.access_token, what: 'create government account' })
      .then(() => ({ username, password }))
  }
  // The regulator of the browser journey: a fresh account that must change its password at first login.
  const regulator = await createGov('zjgov', true)
  const publisher = await createGov('zjbench', false)
  const gov = await api.post('identity', '/auth/login', publisher, { what: 'login publisher' })

  const existing = await api.get('analytics', '/benchmark-sets', { token: gov.access_token })
  let published = (existing.items ?? []).find((s) => s.year === YEAR && s.region_scope === SCOPE)
  if (published) {
    log(`benchmark set ${published.version} already published; nothing to seed`)
  } else {
    await Promise.all(SEED_PREFIXES.map((p) => confirmEnterprise(api, operator, p)))
    // Analytics projects emission.calculated asynchronously: wait until section C meets the minimum sample.
    await waitFor(async () => {
      const preview = await api.get('analytics', '/benchmarks/preview', { token: gov.access_token, query: { year: String(YEAR) } })
      return (preview.entries ?? []).find((e) => e.industry_code === 'C' && e.meets_minimum_sample)
    }, 'analytics to count the section-C sample', { timeoutMs: 90_000 })
    published = await api.post('analytics', '/benchmark-sets', { year: YEAR }, { token: gov.access_token, what: 'publish benchmark set' })
    log(`published benchmark set ${published.version} (${published.entries.length} entries)`)
  }
  return { base, regulator, operator: { username: OPERATOR.username, password: OPERATOR.own }, benchmarkVersion: published.version, journeyPrefix: JOURNEY_PREFIX, period: PERIOD, seconds: (Date.now() - started) / 1000 }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const base = process.env.CARBONID_BASE_URL || 'http://127.0.0.1:8000'
  setup(base)
    .then((r) => console.log(JSON.stringify(r, null, 2)))
    .catch((e) => {
      console.error(e)
      process.exit(1)
    })
}
