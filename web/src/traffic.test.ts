import { describe, expect, it } from 'vitest'
import { canary, fillRest, fromTargets, largestRemainder, newRow, parsePercent, setKeepingTotal, splitEvenly, sum, tagError, toTargets, validate, type Row } from './traffic'

const rows = (...spec: [string, number, string?][]): Row[] => spec.map(([revision, p, tag]) => newRow({ revision, percent: String(p), tag: tag ?? '' }))
const pct = (rs: Row[]) => rs.map((r) => Number(r.percent))
const known = new Set(['hello-00001', 'hello-00002', 'hello-00003'])

describe('parsePercent', () => {
  it('reads whole numbers from 0 to 100', () => {
    expect(parsePercent('0')).toBe(0)
    expect(parsePercent(' 42 ')).toBe(42)
    expect(parsePercent('100')).toBe(100)
  })
  it('refuses anything else', () => {
    for (const bad of ['', '-1', '101', '12.5', '1e2', 'abc', '0x10']) expect(parsePercent(bad)).toBeNull()
  })
})

describe('largestRemainder', () => {
  it('always sums to the total exactly', () => {
    for (const weights of [[1, 1, 1], [1, 2], [33, 33, 34], [7, 0, 3], [1, 1, 1, 1, 1, 1, 1], [90, 10]]) {
      for (const total of [0, 1, 80, 99, 100]) {
        const out = largestRemainder(weights, total)
        expect(out.reduce((a, b) => a + b, 0)).toBe(total)
        out.forEach((x) => expect(Number.isInteger(x) && x >= 0).toBe(true))
      }
    }
  })
  it('gives the remainder to the largest fractions, ties to the first', () => {
    expect(largestRemainder([1, 1, 1], 100)).toEqual([34, 33, 33])
    expect(largestRemainder([50, 50], 80)).toEqual([40, 40])
    expect(largestRemainder([2, 1], 100)).toEqual([67, 33])
  })
  it('splits evenly when every weight is zero', () => {
    expect(largestRemainder([0, 0], 100)).toEqual([50, 50])
  })
})

describe('validate', () => {
  it('accepts a split that sums to 100', () => {
    const v = validate(rows(['hello-00001', 80], ['hello-00002', 20]), known)
    expect(v.ok).toBe(true)
    expect(v.sum).toBe(100)
    expect(v.total).toBeUndefined()
  })
  it('says how much is missing or too much', () => {
    const under = validate(rows(['hello-00001', 50], ['hello-00002', 30]), known)
    expect(under.ok).toBe(false)
    expect(under.total).toContain('20% still to assign')
    const over = validate(rows(['hello-00001', 70], ['hello-00002', 40]), known)
    expect(over.ok).toBe(false)
    expect(over.total).toContain('10% too much')
  })
  it('names the row with a bad percent, revision or tag', () => {
    const v = validate([...rows(['hello-00001', 100]), newRow({ revision: 'ghost-1', percent: '12.5', tag: 'Bad_Tag' }), newRow({ percent: '0' })], known)
    expect(v.rows[0]).toEqual({})
    expect(v.rows[1].revision).toContain('does not exist')
    expect(v.rows[1].percent).toBeDefined()
    expect(v.rows[1].tag).toBeDefined()
    expect(v.rows[2].revision).toBe('choose a revision')
  })
  it('refuses a tag used twice and a revision twice without distinct tags', () => {
    const v = validate(rows(['hello-00001', 50, 'a'], ['hello-00002', 50, 'a'], ['hello-00001', 0, 'a']), known)
    expect(v.rows[1].tag).toContain('twice')
    const dup = validate(rows(['hello-00001', 50], ['hello-00001', 50]), known)
    expect(dup.rows[1].revision).toContain('twice')
    expect(validate(rows(['hello-00001', 50], ['hello-00001', 50, 'b']), known).ok).toBe(true)
  })
  it('accepts latest without a revision name', () => {
    expect(validate([newRow({ latest: true, percent: '100' })], known).ok).toBe(true)
  })
  it('refuses an empty split', () => {
    expect(validate([], known).form).toBeDefined()
  })
})

describe('tagError', () => {
  it('mirrors the API: DNS-1035 label of at most 20 characters', () => {
    expect(tagError('')).toBeUndefined()
    expect(tagError('next')).toBeUndefined()
    expect(tagError('r00002-2')).toBeUndefined()
    expect(tagError('2fast')).toBeDefined()
    expect(tagError('ends-')).toBeDefined()
    expect(tagError('a'.repeat(21))).toBeDefined()
  })
})

describe('editing helpers', () => {
  it('splitEvenly', () => {
    expect(pct(splitEvenly(rows(['a', 0], ['b', 0], ['c', 0])))).toEqual([34, 33, 33])
  })
  it('fillRest gives a row what the others leave', () => {
    expect(pct(fillRest(rows(['a', 70], ['b', 0]), 1))).toEqual([70, 30])
    expect(pct(fillRest(rows(['a', 70], ['b', 40], ['c', 5]), 2))).toEqual([70, 40, 0])
  })
  it('setKeepingTotal rescales the others', () => {
    const out = setKeepingTotal(rows(['a', 50], ['b', 30], ['c', 20]), 0, 20)
    expect(pct(out)).toEqual([20, 48, 32])
    expect(sum(out)).toBe(100)
    expect(pct(setKeepingTotal(rows(['a', 100]), 0, 40))).toEqual([100])
  })
  it('canary 20% from 100% gives 80/20', () => {
    const out = canary(rows(['hello-00001', 100]), 'hello-00002', 20)
    expect(toTargets(out)).toEqual([
      { revision: 'hello-00001', percent: 80 },
      { revision: 'hello-00002', percent: 20 },
    ])
  })
  it('canary scales an existing split and keeps 0% tags', () => {
    const out = canary(rows(['a', 50], ['b', 50], ['c', 0, 'rc']), 'd', 25)
    expect(toTargets(out)).toEqual([
      { revision: 'a', percent: 38 },
      { revision: 'b', percent: 37 },
      { revision: 'c', percent: 0, tag: 'rc' },
      { revision: 'd', percent: 25 },
    ])
    expect(sum(out)).toBe(100)
  })
  it('canary on a revision already in the split moves its share', () => {
    expect(pct(canary(rows(['a', 60], ['b', 40]), 'b', 10))).toEqual([90, 10])
  })
  it('targets round-trip', () => {
    const t = [{ revision: 'a', percent: 90 }, { latest: true, percent: 10, tag: 'next' }, { revision: 'c', percent: 0, tag: 'rc' }]
    expect(toTargets(fromTargets(t))).toEqual(t)
  })
})
