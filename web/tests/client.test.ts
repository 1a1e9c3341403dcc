import { describe, expect, it, vi } from 'vitest'
import { ApiClient, buildUrl } from '../src/api/client'
import { memoryTokenStore } from '../src/auth/token'
import { ProblemError } from '../src/api/problem'
import { SseParser } from '../src/api/sse'

const problem = (slug: string, status: number) =>
  new Response(JSON.stringify({ type: `urn:carbonid:problem:${slug}`, status, title: slug, i18n: { zh: { title: '中文' }, en: { title: slug } } }), {
    status,
    headers: { 'content-type': 'application/problem+json' },
  })
const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })

function setup(fetchImpl: (url: string, init: RequestInit) => Promise<Response>, lang: 'zh' | 'en' = 'zh') {
  const tokens = memoryTokenStore({ access_token: 'old-access', refresh_token: 'old-refresh' })
  const onSessionLost = vi.fn()
  const onPasswordChangeRequired = vi.fn()
  const f = vi.fn(fetchImpl)
  const client = new ApiClient({ tokens, lang: () => lang, fetch: f as unknown as typeof fetch, onSessionLost, onPasswordChangeRequired })
  return { client, tokens, f, onSessionLost, onPasswordChangeRequired }
}

describe('ApiClient', () => {
  it('sends bearer token, language and JSON; parses JSON', async () => {
    const { client, f } = setup(async () => json({ ok: 1 }), 'en')
    expect(await client.post('calculator', '/calculations', { a: 1 })).toEqual({ ok: 1 })
    const [url, init] = f.mock.calls[0]
    expect(url).toBe('/api/calculator/calculations')
    const h = init.headers as Record<string, string>
    expect(h.Authorization).toBe('Bearer old-access')
    expect(h['Accept-Language']).toBe('en')
    expect(h['Content-Type']).toBe('application/json')
    expect(init.body).toBe('{"a":1}')
  })

  it('refreshes once on 401 token-expired and retries with the new token', async () => {
    const { client, tokens, f } = setup(async (url, init) => {
      if (url.endsWith('/auth/refresh')) {
        expect(JSON.parse(String(init.body))).toEqual({ refresh_token: 'old-refresh' })
        return json({ access_token: 'new-access', refresh_token: 'new-refresh', must_change_password: false })
      }
      const auth = (init.headers as Record<string, string>).Authorization
      return auth === 'Bearer new-access' ? json({ me: true }) : problem('token-expired', 401)
    })
    expect(await client.get('identity', '/me')).toEqual({ me: true })
    expect(tokens.access()).toBe('new-access')
    expect(tokens.refresh()).toBe('new-refresh')
    expect(f).toHaveBeenCalledTimes(3)
  })

  it('shares one refresh between concurrent requests', async () => {
    let refreshes = 0
    const { client } = setup(async (url, init) => {
      if (url.endsWith('/auth/refresh')) {
        refreshes++
        await new Promise((r) => setTimeout(r, 10))
        return json({ access_token: 'new-access', refresh_token: 'new-refresh' })
      }
      return (init.headers as Record<string, string>).Authorization === 'Bearer new-access' ? json({ ok: url }) : problem('token-expired', 401)
    })
    const out = await Promise.all([client.get('analytics', '/a'), client.get('analytics', '/b'), client.get('analytics', '/c')])
    expect(out.length).toBe(3)
    expect(refreshes).toBe(1)
  })

  it('loses the session when the refresh is refused', async () => {
    const { client, tokens, onSessionLost } = setup(async (url) => (url.endsWith('/auth/refresh') ? problem('refresh-token-reused', 401) : problem('token-expired', 401)))
    await expect(client.get('identity', '/me')).rejects.toBeInstanceOf(ProblemError)
    expect(onSessionLost).toHaveBeenCalledOnce()
    expect(tokens.access()).toBeNull()
  })

  it('does not refresh for other 401s, and reports password-change-required', async () => {
    const { client, f, onPasswordChangeRequired } = setup(async () => problem('password-change-required', 403))
    const err: any = await client.get('calculator', '/calculations').catch((e: any) => e)
    expect(err).toBeInstanceOf(ProblemError)
    expect(err.slug).toBe('password-change-required')
    expect(err.localized('zh').title).toBe('中文')
    expect(onPasswordChangeRequired).toHaveBeenCalledOnce()
    expect(f).toHaveBeenCalledTimes(1)
  })

  it('turns network failures into a problem', async () => {
    const { client } = setup(async () => {
      throw new TypeError('Failed to fetch')
    })
    const err: any = await client.get('resolver', '/x').catch((e: any) => e)
    expect(err).toBeInstanceOf(ProblemError)
    expect(err.status).toBe(0)
    expect(err.slug).toBe('network-error')
  })

  it('builds URLs with repeated and empty query values', () => {
    expect(buildUrl('/api', 'analytics', '/dashboard/map', { level: 'city', region: '', levels: ['a', 'b'], x: undefined })).toBe('/api/analytics/dashboard/map?level=city&levels=a&levels=b')
  })
})

describe('SSE parser', () => {
  it('splits events across chunks', () => {
    const p = new SseParser()
    expect(p.feed('event: fetched\nid: 2\ndata: {"seq":2')).toEqual([])
    expect(p.feed('}\n\n: ping\n\nevent: done\r\ndata: x\r\n\r\n')).toEqual([
      { event: 'fetched', id: '2', data: '{"seq":2}' },
      { event: 'done', id: undefined, data: 'x' },
    ])
  })
})
