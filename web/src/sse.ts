// Server-sent events over fetch(): EventSource cannot send an Authorization header, so the
// run logs stream is read with fetch() and this small parser (the WHATWG event-stream
// format: "field: value" lines, a blank line dispatches, ":" starts a comment).
import { getToken, onUnauthorizedNotify } from './api'

export interface SSEEvent {
  event: string
  data: string
  id?: string
}

/** SSEParser takes the stream in chunks of any size and returns the events they complete. */
export class SSEParser {
  private buf = ''
  private event = ''
  private data: string[] = []
  private id: string | undefined
  private sawCR = false

  feed(chunk: string): SSEEvent[] {
    const out: SSEEvent[] = []
    let text = chunk
    // A CR ending the last chunk and an LF starting this one are one line break.
    if (this.sawCR && text.startsWith('\n')) text = text.slice(1)
    this.sawCR = false
    this.buf += text
    let start = 0
    for (let i = 0; i < this.buf.length; i++) {
      const c = this.buf[i]
      if (c !== '\n' && c !== '\r') continue
      this.line(this.buf.slice(start, i), out)
      if (c === '\r') {
        if (i + 1 < this.buf.length) {
          if (this.buf[i + 1] === '\n') i++
        } else this.sawCR = true
      }
      start = i + 1
    }
    this.buf = this.buf.slice(start)
    return out
  }

  /** end is the stream's end: an event without its blank line is dropped, as browsers do. */
  end(): SSEEvent[] {
    this.buf = ''
    this.event = ''
    this.data = []
    return []
  }

  private line(line: string, out: SSEEvent[]) {
    if (line === '') {
      if (this.data.length) out.push({ event: this.event || 'message', data: this.data.join('\n'), ...(this.id !== undefined ? { id: this.id } : {}) })
      this.event = ''
      this.data = []
      return
    }
    if (line.startsWith(':')) return
    const colon = line.indexOf(':')
    const field = colon < 0 ? line : line.slice(0, colon)
    let value = colon < 0 ? '' : line.slice(colon + 1)
    if (value.startsWith(' ')) value = value.slice(1)
    if (field === 'event') this.event = value
    else if (field === 'data') this.data.push(value)
    else if (field === 'id' && !value.includes('\0')) this.id = value
  }
}

export type StreamOutcome = 'ended' | 'unavailable' | 'closed'

/**
 * streamEvents GETs url as an event stream with the session's bearer token and calls onEvent
 * for each event. It resolves 'unavailable' on a 404 (no such stream yet), 'closed' when the
 * server closes the stream, and rejects on other failures. Abort with signal.
 */
export async function streamEvents(url: string, onEvent: (e: SSEEvent) => void, signal: AbortSignal, onOpen?: () => void): Promise<StreamOutcome> {
  const headers: Record<string, string> = { Accept: 'text/event-stream' }
  const t = getToken()
  if (t) headers.Authorization = `Bearer ${t}`
  const res = await fetch(url, { headers, cache: 'no-store', credentials: 'omit', signal })
  if (res.status === 404 || res.status === 501) return 'unavailable'
  if (res.status === 401) onUnauthorizedNotify()
  if (!res.ok) throw new Error(`${res.status} ${res.statusText}`)
  if (!res.body || !(res.headers.get('Content-Type') ?? '').includes('text/event-stream')) return 'unavailable'
  onOpen?.()
  const reader = res.body.getReader()
  const decoder = new TextDecoder()
  const parser = new SSEParser()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    for (const e of parser.feed(decoder.decode(value, { stream: true }))) onEvent(e)
  }
  for (const e of parser.feed(decoder.decode())) onEvent(e)
  parser.end()
  return 'closed'
}
