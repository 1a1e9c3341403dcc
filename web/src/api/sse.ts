/**
 * Server-sent events over fetch: EventSource cannot send the Authorization header the gateway needs.
 */
import type { ApiClient, Service } from './client'

export interface SseMessage {
  event: string
  id?: string
  data: string
}

/** Splits a text/event-stream into messages; keeps the unfinished tail between chunks. */
export class SseParser {
  private buffer = ''
  feed(chunk: string): SseMessage[] {
    this.buffer += chunk.replace(/\r\n?/g, '\n')
    const out: SseMessage[] = []
    let idx: number
    while ((idx = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, idx)
      this.buffer = this.buffer.slice(idx + 2)
      let event = 'message'
      let id: string | undefined
      const data: string[] = []
      for (const line of block.split('\n')) {
        if (!line || line.startsWith(':')) continue
        const colon = line.indexOf(':')
        const field = colon < 0 ? line : line.slice(0, colon)
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '')
        if (field === 'event') event = value
        else if (field === 'data') data.push(value)
        else if (field === 'id') id = value
      }
      if (data.length) out.push({ event, id, data: data.join('\n') })
    }
    return out
  }
}

export async function streamEvents(
  client: ApiClient,
  service: Service,
  path: string,
  onMessage: (m: SseMessage) => void,
  signal?: AbortSignal,
): Promise<void> {
  const res = await client.send(service, path, { headers: { Accept: 'text/event-stream' }, signal }, true)
  if (!res.body) return
  const reader = res.body.getReader()
  const decoder = new TextDecoder()
  const parser = new SseParser()
  for (;;) {
    const { value, done } = await reader.read()
    if (done) break
    for (const m of parser.feed(decoder.decode(value, { stream: true }))) onMessage(m)
  }
}
