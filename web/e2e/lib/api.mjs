// A small client of the platform's public API (through the gateway) for the e2e setup: no database access,
// only the HTTP endpoints every user has. Decimals stay strings.

export class ApiError extends Error {
  constructor(status, body, what) {
    const slug = typeof body?.type === 'string' ? body.type.replace('urn:carbonid:problem:', '') : `http-${status}`
    super(`${what}: ${status} ${slug} ${body?.detail ?? ''}`.trim())
    this.status = status
    this.slug = slug
    this.body = body
  }
}

export function apiClient(base) {
  const root = `${base.replace(/\/$/, '')}/api`
  async function call(method, service, path, { token, json, query, what } = {}) {
    let url = `${root}/${service}${path}`
    if (query) url += `?${new URLSearchParams(query)}`
    const headers = { Accept: 'application/json', 'Accept-Language': 'zh-CN' }
    if (token) headers.Authorization = `Bearer ${token}`
    if (json !== undefined) headers['Content-Type'] = 'application/json'
    for (let attempt = 0; ; attempt++) {
      const res = await fetch(url, { method, headers, body: json === undefined ? undefined : JSON.stringify(json) })
      // The gateway's per-user/per-address token buckets: back off and retry.
      if (res.status === 429 && attempt < 10) {
        await sleep(Number(res.headers.get('retry-after') || 1) * 1000)
        continue
      }
      const text = await res.text()
      const body = text ? safeJson(text) : null
      if (!res.ok) throw new ApiError(res.status, body, what ?? `${method} ${service}${path}`)
      return body
    }
  }
  return {
    get: (service, path, opts) => call('GET', service, path, opts),
    post: (service, path, json, opts = {}) => call('POST', service, path, { ...opts, json: json ?? {} }),
    put: (service, path, json, opts = {}) => call('PUT', service, path, { ...opts, json }),
  }
}

function safeJson(text) {
  try {
    return JSON.parse(text)
  } catch {
    return { detail: text.slice(0, 200) }
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

/** Retries `fn` while it throws an ApiError whose slug is in `slugs` (an event not yet consumed), until a deadline. */
export async function retrying(fn, slugs, { timeoutMs = 60_000, everyMs = 500 } = {}) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      return await fn()
    } catch (e) {
      if (!(e instanceof ApiError) || !slugs.includes(e.slug) || Date.now() > deadline) throw e
      await sleep(everyMs)
    }
  }
}

/** Polls `probe` until it returns a truthy value, or fails after the deadline with `what`. */
export async function waitFor(probe, what, { timeoutMs = 60_000, everyMs = 500 } = {}) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(everyMs)
  }
}

/** A username the identity rules accept (7–15 printable ASCII characters), unique per run. */
export function uniqueName(stem) {
  const tail = `${Date.now().toString(36).slice(-5)}${Math.random().toString(36).slice(2, 5)}`
  return `${stem}${tail}`.slice(0, 15)
}

/** Register → login → forced change → login again; answers the session. */
export async function newEnterpriseUser(api, username, password, newPassword) {
  await api.post('identity', '/auth/register', { username, password, password_confirm: password }, { what: 'register' })
  const first = await api.post('identity', '/auth/login', { username, password }, { what: 'login' })
  await api.post(
    'identity',
    '/auth/password',
    { current_password: password, new_password: newPassword, new_password_confirm: newPassword },
    { token: first.access_token, what: 'change password' },
  )
  return api.post('identity', '/auth/login', { username, password: newPassword }, { what: 'login after change' })
}

/** Logs in a built-in account; performs its forced first change when the demo password still works. */
export async function builtInLogin(api, username, demoPassword, ownPassword) {
  try {
    return await api.post('identity', '/auth/login', { username, password: ownPassword }, { what: `login ${username}` })
  } catch (e) {
    if (!(e instanceof ApiError) || e.slug !== 'invalid-credentials') throw e
  }
  const first = await api.post('identity', '/auth/login', { username, password: demoPassword }, { what: `login ${username} (demo password)` })
  if (first.must_change_password) {
    await api.post(
      'identity',
      '/auth/password',
      { current_password: demoPassword, new_password: ownPassword, new_password_confirm: ownPassword },
      { token: first.access_token, what: `change ${username}'s password` },
    )
    return api.post('identity', '/auth/login', { username, password: ownPassword }, { what: `login ${username}` })
  }
  return first
}
