import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router'
import { useAuth, homeFor } from './stores/auth'
import type { Role } from './auth/token'

declare module 'vue-router' {
  interface RouteMeta {
    public?: boolean
    roles?: Role[]
    pendingOk?: boolean
    title?: string
  }
}

const ENT: Role[] = ['enterprise']
const GOV: Role[] = ['government', 'operator']
const OPS: Role[] = ['operator']

const routes: RouteRecordRaw[] = [
  { path: '/login', component: () => import('./views/auth/LoginView.vue'), meta: { public: true } },
  { path: '/register', component: () => import('./views/auth/RegisterView.vue'), meta: { public: true } },
  { path: '/change-password', component: () => import('./views/auth/ChangePasswordView.vue'), meta: { pendingOk: true } },
  { path: '/c/:code', component: () => import('./views/public/CertificateView.vue'), meta: { public: true } },
  {
    path: '/',
    component: () => import('./layouts/ConsoleLayout.vue'),
    children: [
      { path: '', redirect: () => homeFor(useAuth().role) },
      { path: 'home', component: () => import('./views/enterprise/HomeView.vue'), meta: { roles: ENT, title: 'menu.home' } },
      { path: 'emissions', component: () => import('./views/enterprise/EmissionsList.vue'), meta: { roles: ENT, title: 'menu.emissions' } },
      { path: 'emissions/new', component: () => import('./views/enterprise/EmissionWizard.vue'), meta: { roles: ENT, title: 'emissions.newCalc' } },
      { path: 'emissions/:id', component: () => import('./views/enterprise/EmissionWizard.vue'), meta: { roles: ENT, title: 'menu.emissions' } },
      { path: 'emissions/:id/report', component: () => import('./views/enterprise/ReportView.vue'), meta: { roles: ENT, title: 'emissions.reportTitle' } },
      { path: 'evaluation', component: () => import('./views/enterprise/EvaluationView.vue'), meta: { roles: ENT, title: 'menu.evaluation' } },
      { path: 'dashboard', component: () => import('./views/gov/DashboardView.vue'), meta: { roles: GOV, title: 'menu.dashboard' } },
      { path: 'enterprises', component: () => import('./views/gov/EnterprisesView.vue'), meta: { roles: GOV, title: 'menu.enterprises' } },
      { path: 'metadata', component: () => import('./views/gov/MetadataView.vue'), meta: { roles: GOV, title: 'menu.metadata' } },
      { path: 'benchmarks', component: () => import('./views/gov/BenchmarksView.vue'), meta: { roles: GOV, title: 'menu.benchmarks' } },
      { path: 'subscriptions', component: () => import('./views/gov/SubscriptionsView.vue'), meta: { roles: GOV, title: 'menu.subscriptions' } },
      { path: 'ops/rule-sets', component: () => import('./views/ops/RuleSetsView.vue'), meta: { roles: OPS, title: 'menu.ruleSets' } },
      { path: 'ops/factor-sets', component: () => import('./views/ops/FactorSetsView.vue'), meta: { roles: OPS, title: 'menu.factorSets' } },
      { path: 'ops/accounts', component: () => import('./views/ops/AccountsView.vue'), meta: { roles: OPS, title: 'menu.accounts' } },
    ],
  },
  { path: '/:pathMatch(.*)*', component: () => import('./views/NotFound.vue'), meta: { public: true } },
]

export const router = createRouter({ history: createWebHistory(), routes })

router.beforeEach((to) => {
  if (to.meta.public) return true
  const auth = useAuth()
  if (!auth.loggedIn) return { path: '/login', query: to.fullPath !== '/' ? { redirect: to.fullPath } : {} }
  if (auth.mustChange && !to.meta.pendingOk) return { path: '/change-password' }
  const roles = to.matched.flatMap((r) => r.meta.roles ?? [])
  if (roles.length && auth.role && !roles.includes(auth.role)) return { path: homeFor(auth.role) }
  return true
})
