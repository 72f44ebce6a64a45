import { useState } from 'react'
import { phaseClass } from '../pipeline'

/** PhaseBadge shows a run's or step's phase; the word is the information, colour only helps. */
export function PhaseBadge({ phase, waiting }: { phase: string; waiting?: boolean }) {
  return (
    <span className={'badge ' + (waiting ? 'pending' : phaseClass(phase))} data-phase={phase}>
      {waiting ? 'Awaiting approval' : phase}
    </span>
  )
}

/** CopyButton copies text to the clipboard and says so. */
export function CopyButton({ text, label }: { text: string; label: string }) {
  const [done, setDone] = useState<string>()
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text)
      setDone('Copied')
    } catch {
      setDone('Copy failed: select the text and copy it')
    }
    window.setTimeout(() => setDone(undefined), 3000)
  }
  return (
    <>
      <button type="button" onClick={copy} aria-label={label}>
        Copy
      </button>
      <span role="status" className="muted copy-status">
        {done}
      </span>
    </>
  )
}
