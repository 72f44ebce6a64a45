import { useEffect, useState } from 'react'
import { get } from '../api'
import { ErrorBanner } from '../components/errors'
import { useSubmit } from '../submit'

export function ManifestsTab({ base, filename }: { base: string; filename: string }) {
  const [yaml, setYaml] = useState<string>()
  const { busy: loading, error, run } = useSubmit()
  const load = () => run(async () => setYaml(await get<string>(base + '/manifests', { text: true })))
  useEffect(() => {
    load()
  }, [base])
  const download = () => {
    if (yaml === undefined) return
    const url = URL.createObjectURL(new Blob([yaml], { type: 'application/yaml' }))
    const a = document.createElement('a')
    a.href = url
    a.download = filename
    document.body.appendChild(a)
    a.click()
    a.remove()
    setTimeout(() => URL.revokeObjectURL(url), 1000)
  }
  return (
    <section aria-labelledby="manifests-title">
      <div className="title-row">
        <h2 id="manifests-title">Manifests</h2>
        <div className="actions">
          <button onClick={load} disabled={loading}>
            {loading ? 'Loading…' : 'Refresh'}
          </button>
          <button className="primary" onClick={download} disabled={yaml === undefined}>
            Download {filename}
          </button>
        </div>
      </div>
      <p className="hint">Every object Slipway manages for this app, as YAML you can re-apply elsewhere (disaster recovery).</p>
      <ErrorBanner error={error} prefix="Could not load the manifests" />
      {yaml !== undefined && (
        <pre className="yaml" tabIndex={0} aria-label="Manifests YAML">
          {yaml}
        </pre>
      )}
    </section>
  )
}
