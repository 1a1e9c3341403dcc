import { reactive, ref } from 'vue'
import { ElMessage } from 'element-plus'
import { ProblemError } from '../api/problem'
import { currentLang, i18n } from '../i18n'

/** The message of any thrown value, in the current language. */
export function problemText(e: unknown): string {
  if (e instanceof ProblemError) {
    const { title, detail } = e.localized(currentLang())
    return detail && detail !== title ? `${title}：${detail}` : title
  }
  if (e instanceof Error) return e.message
  return String(e)
}

export function toastProblem(e: unknown): void {
  if ((e as { name?: string })?.name === 'AbortError') return
  ElMessage.error({ message: problemText(e), duration: 5000 })
}

/**
 * Server field errors on Element Plus form items: bind `:error="errors.field"` and call `apply(e)` in catch.
 * Errors without a field of the form go to `general`.
 */
export function useFormErrors(fields: string[]) {
  const errors = reactive<Record<string, string>>({})
  const general = ref<string>('')
  function clear() {
    for (const k of Object.keys(errors)) delete errors[k]
    general.value = ''
  }
  function apply(e: unknown) {
    clear()
    if (e instanceof ProblemError) {
      const byField = e.fieldErrors(currentLang())
      const rest: string[] = []
      for (const [field, msg] of Object.entries(byField)) {
        const known = fields.find((f) => field === f || field.endsWith(`.${f}`) || field.startsWith(`${f}.`))
        if (known) errors[known] = msg
        else rest.push(msg)
      }
      const { title, detail } = e.localized(currentLang())
      if (!Object.keys(byField).length || rest.length) general.value = rest.length ? `${detail}（${rest.join('；')}）` : detail || title
      else general.value = String(i18n.global.t('problem.fix'))
    } else general.value = problemText(e)
  }
  return { errors, general, apply, clear }
}
