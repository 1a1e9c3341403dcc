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
}

export const useEnterprise = defineStore('enterprise', () => {
  const profile = ref<Enterprise | null>(null)
  const loading = ref(false)
  const error = ref<unknown>(null)

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
    profile.value = e
    await useAuth().refreshClaims().catch(() => undefined)
    return e
  }

  return { profile, loading, error, load, resolve }
})
