import { defineStore } from 'pinia'
import { ref } from 'vue'
import { api } from '../api'
import { useAuth } from './auth'

export interface Enterprise {
  id: string
  identifier_prefix: string
  name: string
  uscc?: string | null
  region?: { code?: string; province?: string; city?: string; county?: string }
  industry?: { code?: string; category?: string; name?: string }
  address?: string | null
  source?: { node?: string; adapter?: string; node_type?: string }
  resolved_at?: string
  stale?: boolean
  binding?: BindingClaim
}

/** The caller's claim to act for an enterprise, with what proves it (its own identifier node, or approval). */
export interface BindingClaim {
  id: string
  enterprise_id: string
  status: 'pending' | 'active' | 'rejected' | 'removed'
  role: 'owner' | 'member'
  method?: string | null
  proof?: { methods: string[]; record_handle: string; value_type: string; value: string; hint_zh: string; hint_en: string }
}

export const useEnterprise = defineStore('enterprise', () => {
  const profile = ref<Enterprise | null>(null)
  const loading = ref(false)
  const error = ref<unknown>(null)
  /** A pending claim (knowing a prefix binds nobody): the enterprise proves it on its node, or it is approved. */
  const claim = ref<BindingClaim | null>(null)

  async function load(force = false): Promise<Enterprise | null> {
    const auth = useAuth()
    if (!auth.enterpriseId) await auth.loadMe()
    const id = auth.enterpriseId
    if (!id) return null
    if (profile.value?.id === id && !force) return profile.value
    loading.value = true
    error.value = null
    try {
      profile.value = await api.get<Enterprise>('resolver', `/enterprises/${id}`)
    } catch (e) {
      error.value = e
    } finally {
      loading.value = false
    }
    return profile.value
  }

  async function resolve(prefix: string): Promise<Enterprise> {
    const e = await api.post<Enterprise>('resolver', '/enterprises/resolve', { prefix })
    if (e.binding && e.binding.status !== 'active') {
      claim.value = e.binding
      return e
    }
    claim.value = null
    profile.value = e
    await useAuth().refreshClaims().catch(() => undefined)
    return e
  }

  /** Ask the resolver to read the claim's record on the enterprise's own node; on success the account is bound. */
  async function verifyClaim(): Promise<void> {
    if (!claim.value) return
    await api.post<BindingClaim>('resolver', `/enterprises/${claim.value.enterprise_id}/binding/verify`, {})
    await bound()
  }

  /** After an operator's or the regulator's approval (or a proof): the next token carries the enterprise. */
  async function bound(): Promise<boolean> {
    await useAuth().refreshClaims().catch(() => undefined)
    if (!useAuth().enterpriseId) return false
    claim.value = null
    await load(true)
    return true
  }

  return { profile, loading, error, claim, load, resolve, verifyClaim, bound }
})
