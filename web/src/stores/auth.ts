import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { api } from '../api'
import { decodeClaims, type AccessClaims, type Role, type Tokens } from '../auth/token'

export interface UserView {
  id: string
  username: string
  role: Role
  region_scope: string | null
  enterprise_id: string | null
  identifier_prefix: string | null
  enterprise_region_code: string | null
  must_change_password: boolean
}

export const useAuth = defineStore('auth', () => {
  const access = ref<string | null>(api.tokens.access())
  const me = ref<UserView | null>(null)
  const claims = computed<AccessClaims | null>(() => decodeClaims(access.value))
  const loggedIn = computed(() => !!claims.value)
  const role = computed<Role | null>(() => claims.value?.role ?? null)
  const mustChange = computed(() => !!claims.value?.pwd_change || !!me.value?.must_change_password)
  const enterpriseId = computed(() => claims.value?.ent || me.value?.enterprise_id || null)
  const username = computed(() => claims.value?.name || me.value?.username || '')
  const regionScope = computed(() => claims.value?.region || me.value?.region_scope || null)

  function syncTokens(): void {
    access.value = api.tokens.access()
  }

  async function login(username: string, password: string): Promise<Tokens> {
    const tokens = await api.request<Tokens>('identity', '/auth/login', {
      method: 'POST',
      json: { username, password },
      auth: false,
    })
    api.tokens.set(tokens)
    syncTokens()
    me.value = null
    return tokens
  }

  async function register(username: string, password: string, password_confirm: string): Promise<void> {
    await api.request('identity', '/auth/register', {
      method: 'POST',
      json: { username, password, password_confirm },
      auth: false,
    })
  }

  async function changePassword(current_password: string, new_password: string, new_password_confirm: string) {
    await api.post('identity', '/auth/password', { current_password, new_password, new_password_confirm })
    // Every session ends after a change: forget the tokens, the user logs in again.
    forget()
  }

  async function loadMe(): Promise<UserView | null> {
    if (!loggedIn.value) return null
    try {
      me.value = await api.get<UserView>('identity', '/me')
    } catch {
      /* menus fall back to the token's claims */
    }
    return me.value
  }

  /** After binding an enterprise the token has no `ent` yet: rotate it to get the new claims. */
  async function refreshClaims(): Promise<void> {
    await api.refresh()
    syncTokens()
    await loadMe()
  }

  function forget(): void {
    api.tokens.clear()
    syncTokens()
    me.value = null
  }

  async function logout(): Promise<void> {
    const refresh_token = api.tokens.refresh()
    try {
      if (refresh_token) await api.request('identity', '/auth/logout', { method: 'POST', json: { refresh_token } })
    } catch {
      /* logging out locally is what matters */
    }
    forget()
  }

  return { access, me, claims, loggedIn, role, mustChange, enterpriseId, username, regionScope, login, register, changePassword, loadMe, refreshClaims, logout, forget, syncTokens }
})

export function homeFor(role: Role | null | undefined): string {
  if (role === 'government') return '/dashboard'
  if (role === 'operator') return '/dashboard'
  return '/home'
}
