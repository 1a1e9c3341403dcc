import { describe, expect, it } from 'vitest'
import { asList, totalOf } from '../src/api'

// The list shapes the services answer (see web/README.md, "Aligned with the services").
describe('asList / totalOf', () => {
  it('reads plain arrays (evaluation /rule-sets, identity /admin/users)', () => {
    expect(asList([{ key: 'zhejiang-2022/v1' }])).toHaveLength(1)
  })
  it('reads pages {items, total, limit, offset}', () => {
    const page = { items: [{ id: 'a' }, { id: 'b' }], total: 7, limit: 2, offset: 0 }
    expect(asList(page).map((x) => x.id)).toEqual(['a', 'b'])
    expect(totalOf(page, 0)).toBe(7)
    expect(totalOf({ items: [] }, 3)).toBe(3)
  })
  it('reads evaluation /periods, analytics benchmark entries and calculator sources', () => {
    expect(asList({ default: '2025', periods: [{ period: '2025' }] })[0].period).toBe('2025')
    expect(asList({ year: 2025, entries: [{ industry_code: 'C' }] })[0].industry_code).toBe('C')
    expect(asList({ industry: { code: '3011' }, path: [{ code: 'C' }], sources: [{ code: 'fuel.diesel' }] })[0].code).toBe('fuel.diesel')
  })
  it('answers [] for anything else', () => {
    expect(asList(null)).toEqual([])
    expect(asList({ detail: 'x' })).toEqual([])
  })
})
