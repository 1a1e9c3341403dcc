import { createI18n } from 'vue-i18n'
import zh from './zh'
import en from './en'
import type { Lang } from '../api/problem'

const KEY = 'carbonid.lang'
const saved = (typeof localStorage !== 'undefined' && localStorage.getItem(KEY)) as Lang | null

export const i18n = createI18n({
  legacy: false,
  locale: saved === 'en' ? 'en' : 'zh',
  fallbackLocale: 'zh',
  messages: { zh, en },
})

export function currentLang(): Lang {
  return (i18n.global.locale.value as Lang) === 'en' ? 'en' : 'zh'
}

export function setLang(lang: Lang): void {
  i18n.global.locale.value = lang
  localStorage.setItem(KEY, lang)
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en'
}
