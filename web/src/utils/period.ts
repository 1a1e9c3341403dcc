/** Period codes (DOMAIN §3): year `2024`, half `2024H1`, quarter `2024Q3`, month `2024-07`. */
export type PeriodKind = 'year' | 'half' | 'quarter' | 'month'

export const PERIOD_RE = /^(\d{4})(?:H([12])|Q([1-4])|-(0[1-9]|1[0-2]))?$/

export function periodCode(kind: PeriodKind, year: number, part?: number): string {
  switch (kind) {
    case 'year':
      return String(year)
    case 'half':
      return `${year}H${part ?? 1}`
    case 'quarter':
      return `${year}Q${part ?? 1}`
    case 'month':
      return `${year}-${String(part ?? 1).padStart(2, '0')}`
  }
}

export function parsePeriod(code: string): { kind: PeriodKind; year: number; part?: number } | null {
  const m = PERIOD_RE.exec(code)
  if (!m) return null
  const year = Number(m[1])
  if (m[2]) return { kind: 'half', year, part: Number(m[2]) }
  if (m[3]) return { kind: 'quarter', year, part: Number(m[3]) }
  if (m[4]) return { kind: 'month', year, part: Number(m[4]) }
  return { kind: 'year', year }
}

export function periodLabel(code: string | null | undefined, lang: 'zh' | 'en'): string {
  if (!code) return '—'
  const p = parsePeriod(code)
  if (!p) return code
  if (lang === 'en') return code
  switch (p.kind) {
    case 'year':
      return `${p.year}年`
    case 'half':
      return `${p.year}年${p.part === 1 ? '上半年' : '下半年'}`
    case 'quarter':
      return `${p.year}年第${p.part}季度`
    case 'month':
      return `${p.year}年${p.part}月`
  }
}

export function partsOf(kind: PeriodKind): number[] {
  return kind === 'half' ? [1, 2] : kind === 'quarter' ? [1, 2, 3, 4] : kind === 'month' ? [...Array(12).keys()].map((i) => i + 1) : []
}
