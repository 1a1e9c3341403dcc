/**
 * The manual's account rules, mirroring identity's domain/policy.py so the form answers before the server:
 * username longer than 6 and at most 15 printable ASCII characters (no spaces);
 * password 8–16 printable ASCII characters combining at least two of letters, digits, special characters.
 */
import type { Lang } from '../api/problem'

export const USERNAME_MIN = 7
export const USERNAME_MAX = 15
export const PASSWORD_MIN = 8
export const PASSWORD_MAX = 16

const PRINTABLE = /^[\x21-\x7e]*$/

export interface Violation {
  code: string
  zh: string
  en: string
}

export function passwordClasses(password: string): number {
  const letters = /[A-Za-z]/.test(password)
  const digits = /[0-9]/.test(password)
  const special = /[\x21-\x2f\x3a-\x40\x5b-\x60\x7b-\x7e]/.test(password)
  return Number(letters) + Number(digits) + Number(special)
}

export function usernameViolations(username: string): Violation[] {
  const out: Violation[] = []
  if (!PRINTABLE.test(username))
    out.push({
      code: 'username-characters',
      zh: '用户名只能包含字母、数字或符号（不含空格、中文及全角字符）',
      en: 'A username may contain only letters, digits or symbols (no spaces, CJK or full-width characters)',
    })
  if (username.length < USERNAME_MIN)
    out.push({
      code: 'username-too-short',
      zh: `用户名长度须超过6位（至少${USERNAME_MIN}位）`,
      en: `A username must be longer than 6 characters (at least ${USERNAME_MIN})`,
    })
  else if (username.length > USERNAME_MAX)
    out.push({
      code: 'username-too-long',
      zh: `用户名长度不能超过${USERNAME_MAX}位`,
      en: `A username may have at most ${USERNAME_MAX} characters`,
    })
  return out
}

export function passwordViolations(password: string): Violation[] {
  const out: Violation[] = []
  if (!PRINTABLE.test(password))
    out.push({
      code: 'password-characters',
      zh: '密码只能包含字母、数字和特殊字符（不含空格、中文及全角字符）',
      en: 'A password may contain only letters, digits and special characters (no spaces, CJK or full-width)',
    })
  if (password.length < PASSWORD_MIN || password.length > PASSWORD_MAX)
    out.push({
      code: 'password-length',
      zh: `密码长度须为${PASSWORD_MIN}-${PASSWORD_MAX}位`,
      en: `A password must have ${PASSWORD_MIN} to ${PASSWORD_MAX} characters`,
    })
  if (passwordClasses(password) < 2)
    out.push({
      code: 'password-composition',
      zh: '密码须至少包含字母、数字、特殊字符中的两种',
      en: 'A password must combine at least two of: letters, digits, special characters',
    })
  return out
}

export function confirmationViolations(password: string, confirmation: string): Violation[] {
  return password === confirmation
    ? []
    : [{ code: 'password-mismatch', zh: '两次输入的密码不一致', en: 'The passwords do not match' }]
}

export function newPasswordViolations(current: string, next: string): Violation[] {
  return current && current === next
    ? [{ code: 'password-unchanged', zh: '新密码不能与原密码相同', en: 'The new password must differ from the old one' }]
    : []
}

/** An Element Plus form rule from a violations function. */
export function rule(check: (value: string) => Violation[], lang: () => Lang, required = true) {
  return {
    trigger: 'blur',
    validator: (_r: unknown, value: string, cb: (e?: Error) => void) => {
      const v = value ?? ''
      if (!v && required) return cb(new Error(lang() === 'zh' ? '必填' : 'Required'))
      const found = check(v)
      cb(found.length ? new Error(found.map((x) => x[lang()]).join('；')) : undefined)
    },
  }
}
