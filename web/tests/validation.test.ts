import { describe, expect, it } from 'vitest'
import { confirmationViolations, newPasswordViolations, passwordClasses, passwordViolations, usernameViolations } from '../src/utils/validation'
import { parsePeriod, periodCode, periodLabel } from '../src/utils/period'

const codes = (v: { code: string }[]) => v.map((x) => x.code)

describe('username (longer than 6, at most 15, printable ASCII)', () => {
  it.each([
    ['abcdef', ['username-too-short']],
    ['abcdefg', []],
    ['a'.repeat(15), []],
    ['a'.repeat(16), ['username-too-long']],
    ['user_01!', []],
    ['用户名用户名用户', ['username-characters']],
    ['user name1', ['username-characters']],
  ])('%s', (name, expected) => expect(codes(usernameViolations(name))).toEqual(expected))
})

describe('password (8-16, two classes of letters, digits, special)', () => {
  it.each([
    ['abcdefgh', ['password-composition']],
    ['12345678', ['password-composition']],
    ['abcd1234', []],
    ['abcd!@#$', []],
    ['1234!@#$', []],
    ['Ab1!', ['password-length']],
    ['Abcdefgh12345678x', ['password-length']],
    ['abcd 1234', ['password-characters']],
  ])('%s', (pw, expected) => expect(codes(passwordViolations(pw))).toEqual(expected))

  it('counts classes', () => {
    expect(passwordClasses('aA')).toBe(1)
    expect(passwordClasses('a1-')).toBe(3)
  })
  it('confirmation and change rules', () => {
    expect(codes(confirmationViolations('abcd1234', 'abcd1235'))).toEqual(['password-mismatch'])
    expect(confirmationViolations('abcd1234', 'abcd1234')).toEqual([])
    expect(codes(newPasswordViolations('abcd1234', 'abcd1234'))).toEqual(['password-unchanged'])
  })
})

describe('periods', () => {
  it('round-trips codes', () => {
    for (const c of ['2024', '2024H2', '2024Q3', '2024-07']) {
      const p = parsePeriod(c)!
      expect(periodCode(p.kind, p.year, p.part)).toBe(c)
    }
    expect(parsePeriod('2024Q5')).toBeNull()
    expect(periodLabel('2024Q3', 'zh')).toBe('2024年第3季度')
    expect(periodLabel('2024H1', 'zh')).toBe('2024年上半年')
  })
})
