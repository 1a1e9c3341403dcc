import { ApiClient } from './client'
import { browserTokenStore } from '../auth/token'
import { currentLang } from '../i18n'
import type { ProblemError } from './problem'

type Handler = (p: ProblemError) => void
const handlers: { sessionLost?: Handler; passwordChange?: Handler; tokens?: () => void } = {}

export const api = new ApiClient({
  tokens: browserTokenStore(),
  lang: currentLang,
  onSessionLost: (p) => handlers.sessionLost?.(p),
  onPasswordChangeRequired: (p) => handlers.passwordChange?.(p),
  onTokens: () => handlers.tokens?.(),
})

export function setApiHandlers(h: typeof handlers): void {
  Object.assign(handlers, h)
}

/**
 * Lists come as arrays (evaluation `/rule-sets`, identity `/admin/users`) or as objects holding the array:
 * `{items, total, limit, offset}` pages (calculator, evaluation, resolver, certificates, analytics), `{periods}`
 * (evaluation `/periods`), `{entries}` (analytics benchmarks), `{sources}` (calculator industry sources),
 * `{questions}` (evaluation questionnaire), `{series}` (analytics trends).
 */
export function asList<T = any>(body: unknown): T[] {
  if (Array.isArray(body)) return body as T[]
  if (body && typeof body === 'object') {
    for (const key of ['items', 'periods', 'entries', 'sources', 'questions', 'series', 'steps', 'log']) {
      const v = (body as Record<string, unknown>)[key]
      if (Array.isArray(v)) return v as T[]
    }
  }
  return []
}

export function totalOf(body: unknown, fallback: number): number {
  const t = (body as { total?: unknown } | null)?.total
  return typeof t === 'number' ? t : fallback
}

export { ProblemError } from './problem'
