/** RFC 9457 problem+json as CarbonID services send it (kit/src/carbonid_kit/problems.py). */
export type Lang = 'zh' | 'en'

export interface FieldErrorDoc {
  pointer: string
  code?: string
  message?: string
  message_zh?: string
  message_en?: string
}

export interface ProblemDoc {
  type?: string
  status?: number
  title?: string
  detail?: string
  instance?: string
  request_id?: string
  errors?: FieldErrorDoc[]
  i18n?: Partial<Record<Lang, { title?: string; detail?: string }>>
  [extra: string]: unknown
}

const TYPE_PREFIX = 'urn:carbonid:problem:'

/** The stable slug of a problem type: `urn:carbonid:problem:token-expired` → `token-expired`. */
export function problemSlug(type: string | undefined): string {
  if (!type) return 'http-error'
  if (type.startsWith(TYPE_PREFIX)) return type.slice(TYPE_PREFIX.length)
  const tail = type.split(/[/:#]/).filter(Boolean).pop()
  return tail || type
}

/** `/lines/0/quantity` → `lines.0.quantity` (the prop path an Element Plus form item uses). */
export function pointerToField(pointer: string): string {
  return pointer
    .replace(/^#?\/?/, '')
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .filter((p) => p !== '' && p !== 'body')
    .join('.')
}

const FALLBACK: Record<number, { zh: string; en: string }> = {
  0: { zh: '网络连接失败，请检查网络后重试', en: 'Network error: check the connection and retry' },
  400: { zh: '请求无效', en: 'Bad request' },
  401: { zh: '需要登录', en: 'Authentication required' },
  403: { zh: '禁止访问', en: 'Forbidden' },
  404: { zh: '资源不存在', en: 'Not found' },
  409: { zh: '请求与当前状态冲突', en: 'Conflict' },
  413: { zh: '请求体过大', en: 'Payload too large' },
  422: { zh: '输入校验失败', en: 'Validation failed' },
  429: { zh: '请求过于频繁', en: 'Too many requests' },
  500: { zh: '服务内部错误', en: 'Internal error' },
  502: { zh: '上游服务不可用', en: 'Bad gateway' },
  503: { zh: '服务暂不可用', en: 'Service unavailable' },
  504: { zh: '上游服务超时', en: 'Upstream timeout' },
}

export class ProblemError extends Error {
  readonly status: number
  readonly type: string
  readonly slug: string
  readonly doc: ProblemDoc

  constructor(status: number, doc: ProblemDoc) {
    const fallback = FALLBACK[status] ?? FALLBACK[status >= 500 ? 500 : 400]
    const title = doc.title || doc.i18n?.en?.title || fallback.en
    super(title)
    this.name = 'ProblemError'
    this.status = status
    this.type = doc.type || `${TYPE_PREFIX}${status === 0 ? 'network-error' : 'http-error'}`
    this.slug = problemSlug(this.type)
    this.doc = { ...doc, status }
  }

  /** Title and detail in `lang`: the document's own translation, then its language-neutral fields. */
  localized(lang: Lang): { title: string; detail: string } {
    const fallback = FALLBACK[this.status] ?? FALLBACK[this.status >= 500 ? 500 : 400]
    const own = this.doc.i18n?.[lang]
    const title = own?.title || this.doc.title || fallback[lang]
    const detail = own?.detail || this.doc.detail || title
    return { title, detail }
  }

  /** Field errors keyed by form prop path, in `lang`; several messages for one field are joined. */
  fieldErrors(lang: Lang): Record<string, string> {
    const out: Record<string, string> = {}
    for (const e of this.doc.errors ?? []) {
      const field = pointerToField(e.pointer || '')
      const msg = (lang === 'zh' ? e.message_zh : e.message_en) || e.message || ''
      if (!msg) continue
      const key = field || '_'
      out[key] = out[key] ? `${out[key]}；${msg}` : msg
    }
    return out
  }

  /** An extra member of the document (e.g. `calculation_page` of `no-calculation-for-period`). */
  extra<T = unknown>(name: string): T | undefined {
    return this.doc[name] as T | undefined
  }
}

/** Reads a failed response as a ProblemError, whatever its body is (problem+json, other JSON, HTML, nothing). */
export async function problemFromResponse(res: Response): Promise<ProblemError> {
  let doc: ProblemDoc = {}
  const type = res.headers.get('content-type') || ''
  try {
    if (type.includes('json')) {
      const body = await res.json()
      if (body && typeof body === 'object' && !Array.isArray(body)) {
        doc = body as ProblemDoc
        // FastAPI's bare {"detail": "..."} or [{loc,msg}] shapes from a service not yet on the kit.
        if (!doc.type && Array.isArray((body as { detail?: unknown }).detail)) {
          const list = (body as { detail: Array<{ loc?: unknown[]; msg?: string }> }).detail
          doc = {
            errors: list.map((d) => ({
              pointer: '/' + (d.loc ?? []).filter((p) => p !== 'body').join('/'),
              message: d.msg,
            })),
          }
        }
      }
    } else {
      const text = await res.text()
      if (text && text.length < 300 && !text.trim().startsWith('<')) doc = { detail: text.trim() }
    }
  } catch {
    /* an unreadable body: fall back to the status */
  }
  return new ProblemError(res.status, doc)
}

export function networkProblem(cause: unknown): ProblemError {
  const err = new ProblemError(0, { type: `${TYPE_PREFIX}network-error` })
  ;(err as { cause?: unknown }).cause = cause
  return err
}
