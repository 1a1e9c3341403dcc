/**
 * One fetch wrapper for every service behind the gateway (`/api/<service>/...`): bearer token,
 * Accept-Language, problem+json errors, a single-flight refresh on 401 `token-expired`, and the
 * forced password change on 403 `password-change-required`.
 */
import { networkProblem, problemFromResponse, ProblemError, type Lang } from './problem'
import type { TokenStore, Tokens } from '../auth/token'

export type Service = 'identity' | 'resolver' | 'calculator' | 'evaluation' | 'certificates' | 'analytics'

export interface RequestOptions {
  method?: string
  query?: Record<string, string | number | boolean | null | undefined | string[]>
  json?: unknown
  form?: FormData
  auth?: boolean
  /** Return the raw Response (downloads, HTML reports, streams). */
  raw?: boolean
  signal?: AbortSignal
  headers?: Record<string, string>
}

export interface ClientOptions {
  baseUrl?: string
  fetch?: typeof fetch
  tokens: TokenStore
  lang: () => Lang
  /** The session cannot be recovered (refresh refused): the app logs out. */
  onSessionLost?: (problem: ProblemError) => void
  /** The account must change its password first. */
  onPasswordChangeRequired?: (problem: ProblemError) => void
  /** New tokens arrived through a refresh. */
  onTokens?: (tokens: Tokens) => void
}

export const REFRESH_SLUGS = new Set(['token-expired'])
const SESSION_LOST_SLUGS = new Set([
  'invalid-refresh-token',
  'refresh-token-reused',
  'token-revoked',
  'invalid-token',
  'unauthenticated',
])

export function buildUrl(base: string, service: Service, path: string, query?: RequestOptions['query']): string {
  const clean = path.startsWith('/') ? path : `/${path}`
  let url = `${base.replace(/\/$/, '')}/${service}${clean}`
  if (query) {
    const params = new URLSearchParams()
    for (const [k, v] of Object.entries(query)) {
      if (v === undefined || v === null || v === '') continue
      if (Array.isArray(v)) v.forEach((item) => params.append(k, item))
      else params.append(k, String(v))
    }
    const qs = params.toString()
    if (qs) url += (url.includes('?') ? '&' : '?') + qs
  }
  return url
}

export class ApiClient {
  private refreshing: Promise<boolean> | null = null
  constructor(private readonly opts: ClientOptions) {}

  get tokens(): TokenStore {
    return this.opts.tokens
  }

  url(service: Service, path: string, query?: RequestOptions['query']): string {
    return buildUrl(this.opts.baseUrl ?? '/api', service, path, query)
  }

  async request<T = unknown>(service: Service, path: string, options: RequestOptions = {}): Promise<T> {
    const res = await this.send(service, path, options, true)
    if (options.raw) return res as unknown as T
    if (res.status === 204) return undefined as T
    const type = res.headers.get('content-type') || ''
    if (type.includes('json')) return (await res.json()) as T
    return (await res.text()) as unknown as T
  }

  get<T = unknown>(service: Service, path: string, query?: RequestOptions['query'], signal?: AbortSignal) {
    return this.request<T>(service, path, { query, signal })
  }
  post<T = unknown>(service: Service, path: string, json?: unknown) {
    return this.request<T>(service, path, { method: 'POST', json })
  }
  put<T = unknown>(service: Service, path: string, json?: unknown) {
    return this.request<T>(service, path, { method: 'PUT', json })
  }
  delete<T = unknown>(service: Service, path: string, json?: unknown) {
    return this.request<T>(service, path, { method: 'DELETE', json })
  }

  /** Sends with the current token; on 401 token-expired refreshes once (shared by concurrent calls) and retries. */
  async send(service: Service, path: string, options: RequestOptions, mayRetry: boolean): Promise<Response> {
    const f = this.opts.fetch ?? globalThis.fetch.bind(globalThis)
    const headers: Record<string, string> = {
      Accept: 'application/json, application/problem+json;q=0.9, */*;q=0.5',
      'Accept-Language': this.opts.lang() === 'en' ? 'en' : 'zh-CN',
      ...(options.headers ?? {}),
    }
    let body: BodyInit | undefined
    if (options.form) body = options.form
    else if (options.json !== undefined) {
      headers['Content-Type'] = 'application/json'
      body = JSON.stringify(options.json)
    }
    const token = this.opts.tokens.access()
    if (options.auth !== false && token) headers.Authorization = `Bearer ${token}`
    let res: Response
    try {
      res = await f(this.url(service, path, options.query), {
        method: options.method ?? 'GET',
        headers,
        body,
        signal: options.signal,
      })
    } catch (cause) {
      if ((cause as { name?: string })?.name === 'AbortError') throw cause
      throw networkProblem(cause)
    }
    if (res.ok) return res
    const problem = await problemFromResponse(res)
    if (res.status === 401 && options.auth !== false && token) {
      if (mayRetry && REFRESH_SLUGS.has(problem.slug) && this.opts.tokens.refresh()) {
        if (await this.refresh()) return this.send(service, path, options, false)
      }
      if (REFRESH_SLUGS.has(problem.slug) || SESSION_LOST_SLUGS.has(problem.slug)) {
        this.opts.tokens.clear()
        this.opts.onSessionLost?.(problem)
      }
    }
    if (res.status === 403 && problem.slug === 'password-change-required') {
      this.opts.onPasswordChangeRequired?.(problem)
    }
    throw problem
  }

  /** Rotates the refresh token; concurrent callers share one refresh. Resolves false when refused. */
  refresh(): Promise<boolean> {
    if (!this.refreshing) {
      this.refreshing = this.doRefresh().finally(() => {
        this.refreshing = null
      })
    }
    return this.refreshing
  }

  private async doRefresh(): Promise<boolean> {
    const refresh_token = this.opts.tokens.refresh()
    if (!refresh_token) return false
    try {
      const tokens = await this.request<Tokens>('identity', '/auth/refresh', {
        method: 'POST',
        json: { refresh_token },
        auth: false,
      })
      this.opts.tokens.set(tokens)
      this.opts.onTokens?.(tokens)
      return true
    } catch {
      return false
    }
  }
}
