import { describe, expect, it } from 'vitest'
import { pointerToField, problemFromResponse, problemSlug, ProblemError } from '../src/api/problem'

const doc = {
  type: 'urn:carbonid:problem:validation-error',
  status: 422,
  title: '输入校验失败',
  detail: '请求中有字段不符合要求',
  i18n: { zh: { title: '输入校验失败', detail: '请求中有字段不符合要求' }, en: { title: 'Validation failed', detail: 'Some fields of the request are invalid' } },
  errors: [
    { pointer: '/username', code: 'username-too-short', message: '用户名长度须超过6位', message_zh: '用户名长度须超过6位', message_en: 'A username must be longer than 6 characters' },
    { pointer: '/username', code: 'username-characters', message: 'x', message_zh: '只能包含字母', message_en: 'letters only' },
    { pointer: '/lines/0/quantity', code: 'x', message: 'bad', message_zh: '数值过小', message_en: 'too small' },
  ],
  calculation_page: '/emissions/new?period=2024',
}

function response(body: unknown, status: number, type = 'application/problem+json') {
  return new Response(typeof body === 'string' ? body : JSON.stringify(body), { status, headers: { 'content-type': type } })
}

describe('problem+json', () => {
  it('reads slug, titles in both languages and extras', async () => {
    const p = await problemFromResponse(response(doc, 422))
    expect(p).toBeInstanceOf(ProblemError)
    expect(p.slug).toBe('validation-error')
    expect(p.localized('en')).toEqual({ title: 'Validation failed', detail: 'Some fields of the request are invalid' })
    expect(p.localized('zh').title).toBe('输入校验失败')
    expect(p.extra('calculation_page')).toBe('/emissions/new?period=2024')
  })

  it('maps field errors onto form props in the chosen language, joining repeats', async () => {
    const p = await problemFromResponse(response(doc, 422))
    expect(p.fieldErrors('en')).toEqual({ username: 'A username must be longer than 6 characters；letters only', 'lines.0.quantity': 'too small' })
    expect(p.fieldErrors('zh').username).toContain('用户名长度须超过6位')
  })

  it('falls back to the status for non-JSON bodies', async () => {
    const p = await problemFromResponse(response('<html>bad gateway</html>', 502, 'text/html'))
    expect(p.status).toBe(502)
    expect(p.localized('zh').title).toBe('上游服务不可用')
    expect(p.localized('en').title).toBe('Bad gateway')
  })

  it('reads FastAPI default validation shapes', async () => {
    const p = await problemFromResponse(response({ detail: [{ loc: ['body', 'prefix'], msg: 'field required' }] }, 422, 'application/json'))
    expect(p.fieldErrors('en')).toEqual({ prefix: 'field required' })
  })

  it('slugs and pointers', () => {
    expect(problemSlug('urn:carbonid:problem:token-expired')).toBe('token-expired')
    expect(problemSlug('https://example.org/problems/out-of-credit')).toBe('out-of-credit')
    expect(pointerToField('/a~1b/0')).toBe('a/b.0')
    expect(pointerToField('/')).toBe('')
  })
})
