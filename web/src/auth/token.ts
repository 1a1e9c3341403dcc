/** Access-token claims issued by identity (docs/ENGINEERING.md): read for menus only, never trusted. */
export type Role = 'enterprise' | 'government' | 'operator'

export interface AccessClaims {
  sub: string
  name?: string
  role: Role
  region?: string | null
  ent?: string | null
  pwd_change?: boolean
  exp?: number
  iat?: number
}

function base64UrlDecode(part: string): string {
  const b64 = part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '=')
  const binary = atob(b64)
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0))
  return new TextDecoder().decode(bytes)
}

export function decodeClaims(token: string | null | undefined): AccessClaims | null {
  if (!token) return null
  const parts = token.split('.')
  if (parts.length !== 3) return null
  try {
    const claims = JSON.parse(base64UrlDecode(parts[1])) as AccessClaims
    if (!claims || typeof claims !== 'object' || !claims.role) return null
    return claims
  } catch {
    return null
  }
}

export interface Tokens {
  access_token: string
  refresh_token: string
  must_change_password?: boolean
}

export interface TokenStore {
  access(): string | null
  refresh(): string | null
  set(tokens: Tokens): void
  clear(): void
}

const ACCESS = 'carbonid.access'
const REFRESH = 'carbonid.refresh'

/** Tokens live in sessionStorage: a closed tab ends the console session; other tabs log in themselves. */
export function browserTokenStore(storage: Storage | undefined = globalThis.sessionStorage): TokenStore {
  const memory = new Map<string, string>()
  const get = (k: string) => (storage ? storage.getItem(k) : (memory.get(k) ?? null))
  const put = (k: string, v: string) => (storage ? storage.setItem(k, v) : memory.set(k, v))
  const del = (k: string) => (storage ? storage.removeItem(k) : memory.delete(k))
  return {
    access: () => get(ACCESS),
    refresh: () => get(REFRESH),
    set(t) {
      put(ACCESS, t.access_token)
      put(REFRESH, t.refresh_token)
    },
    clear() {
      del(ACCESS)
      del(REFRESH)
    },
  }
}

export function memoryTokenStore(initial?: Tokens): TokenStore {
  let a = initial?.access_token ?? null
  let r = initial?.refresh_token ?? null
  return {
    access: () => a,
    refresh: () => r,
    set(t) {
      a = t.access_token
      r = t.refresh_token
    },
    clear() {
      a = null
      r = null
    },
  }
}
