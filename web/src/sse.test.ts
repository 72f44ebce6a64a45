import { describe, expect, it } from 'vitest'
import { SSEParser } from './sse'

const all = (chunks: string[]) => {
  const p = new SSEParser()
  return chunks.flatMap((c) => p.feed(c))
}

describe('SSEParser', () => {
  it('parses the run log events', () => {
    const text =
      'event: step\ndata: {"step":"clone","phase":"Running"}\n\n' +
      'event: log\ndata: {"step":"clone","line":"Cloning into /work/src"}\n\n' +
      'event: error\ndata: {"step":"clone","message":"pod deleted"}\n\n' +
      'event: end\ndata: {"phase":"Succeeded"}\n\n'
    const ev = all([text])
    expect(ev.map((e) => e.event)).toEqual(['step', 'log', 'error', 'end'])
    expect(JSON.parse(ev[1].data)).toEqual({ step: 'clone', line: 'Cloning into /work/src' })
    expect(JSON.parse(ev[3].data)).toEqual({ phase: 'Succeeded' })
  })

  it('gives the same events whatever the chunks', () => {
    const text = 'event: log\r\ndata: {"step":"build","line":"#1 [internal] load"}\r\n\r\nevent: end\rdata: {"phase":"Failed"}\r\r'
    const whole = all([text])
    expect(whole).toHaveLength(2)
    for (let size = 1; size < 8; size++) {
      const chunks: string[] = []
      for (let i = 0; i < text.length; i += size) chunks.push(text.slice(i, i + size))
      expect(all(chunks)).toEqual(whole)
    }
  })

  it('joins data lines, skips comments, defaults the type, strips one space only', () => {
    const ev = all([': keep-alive\n\ndata:  two spaces\ndata:second\n\n'])
    expect(ev).toEqual([{ event: 'message', data: ' two spaces\nsecond' }])
  })

  it('waits for the blank line and drops an event without data', () => {
    const p = new SSEParser()
    expect(p.feed('event: step\ndata: {"step":"a"}\n')).toEqual([])
    expect(p.feed('\nevent: ping\n\n')).toEqual([{ event: 'step', data: '{"step":"a"}' }])
    expect(p.feed('event: log\ndata: unfinished')).toEqual([])
    expect(p.end()).toEqual([])
  })

  it('keeps the last id and takes a field without a colon as empty', () => {
    const ev = all(['id: 7\ndata\n\ndata: x\n\n'])
    expect(ev).toEqual([
      { event: 'message', data: '', id: '7' },
      { event: 'message', data: 'x', id: '7' },
    ])
  })
})
