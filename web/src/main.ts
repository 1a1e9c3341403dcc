import { createApp } from 'vue'
import { createPinia } from 'pinia'
import ElementPlus, { ElMessage } from 'element-plus'
import 'element-plus/dist/index.css'
import './styles.css'
import App from './App.vue'
import { router } from './router'
import { i18n, currentLang } from './i18n'
import { setApiHandlers } from './api'
import { useAuth } from './stores/auth'

const app = createApp(App)
app.use(createPinia())
app.use(i18n)
app.use(router)
app.use(ElementPlus)

const auth = useAuth()
setApiHandlers({
  sessionLost: () => {
    auth.forget()
    if (!router.currentRoute.value.meta.public) {
      ElMessage.warning(i18n.global.t('auth.sessionLost'))
      router.replace({ path: '/login', query: { redirect: router.currentRoute.value.fullPath } })
    }
  },
  passwordChange: () => {
    ElMessage.warning(i18n.global.t('auth.mustChange'))
    router.replace('/change-password')
  },
  tokens: () => auth.syncTokens(),
})
document.documentElement.lang = currentLang() === 'zh' ? 'zh-CN' : 'en'
app.mount('#app')
