import { useState, type FormEvent } from 'react'
import { post } from '../api'
import { ErrorBanner, Field, fieldMessages } from '../components/errors'
import { useSession } from '../session'
import { useSubmit } from '../submit'
import type { AppStatus, DeployRequest, DeployResult, LogPath } from '../schema'

type Op = 'exact' | 'prefix' | 'regex'
type MatchKind = 'header' | 'lane' | 'cookie'

interface Props {
  base: string
  env: string
  current?: AppStatus
  /**
   * breakGlass: env is reached only by promotion, so a direct deploy breaks glass and needs
   * a reason (only offered to those who may breakGlass there).
   */
  breakGlass?: boolean
  onDeployed: (r: DeployResult) => void
}

let k = 0
const key = () => ++k

/** intOrUndefined reads an optional whole number; bad text goes to the API to be named. */
function num(text: string): number | undefined {
  const t = text.trim()
  if (t === '') return undefined
  const n = Number(t)
  return Number.isFinite(n) ? n : (t as unknown as number)
}

export function DeployForm({ base, env, current, breakGlass, onDeployed }: Props) {
  const { environments } = useSession()
  const policy = environments.find((e) => e.name === env)
  const [image, setImage] = useState(current?.image ?? '')
  const [message, setMessage] = useState('')
  const [port, setPort] = useState('')
  const [vars, setVars] = useState<{ key: number; name: string; value: string }[]>([])
  const [minScale, setMinScale] = useState('')
  const [maxScale, setMaxScale] = useState('')
  const [target, setTarget] = useState('')
  const [logs, setLogs] = useState<(LogPath & { key: number })[]>((current?.logPaths ?? []).map((l) => ({ ...l, key: key() })))
  const [strategy, setStrategy] = useState<'replace' | 'canary' | 'header'>('replace')
  const [percent, setPercent] = useState('20')
  const [matchKind, setMatchKind] = useState<MatchKind>('header')
  const [header, setHeader] = useState('x-user-group')
  const [op, setOp] = useState<Op>('exact')
  const [value, setValue] = useState('')
  const [lane, setLane] = useState('')
  const [cookieName, setCookieName] = useState('')
  const [cookieValue, setCookieValue] = useState('')
  const [tag, setTag] = useState('')
  const [reason, setReason] = useState('')
  // Deployed, the page moves to the revisions tab: the form stays busy until it goes.
  const { busy, error, run } = useSubmit({ keepBusy: true })
  const fe = (path: string, children = false) => fieldMessages(error, path, children)
  const firstDeploy = !current

  const body = (): DeployRequest => {
    const req: DeployRequest = { image: image.trim() }
    if (message.trim()) req.message = message.trim()
    if (breakGlass) req.breakGlass = { reason: reason.trim() }
    if (port.trim()) req.port = num(port)
    if (vars.length) req.env = vars.map(({ name, value }) => ({ name, value }))
    const scaling = { minScale: num(minScale), maxScale: num(maxScale), target: num(target) }
    if (Object.values(scaling).some((v) => v !== undefined)) req.scaling = scaling
    if (logs.length) req.logPaths = logs.map(({ path, container, name }) => ({ path, ...(container ? { container } : {}), ...(name ? { name } : {}) }))
    if (strategy === 'canary') req.strategy = { type: 'canary', percent: num(percent) }
    if (strategy === 'header') {
      req.strategy = { type: 'header', ...(tag.trim() ? { tag: tag.trim() } : {}) }
      if (matchKind === 'lane') req.strategy.lane = lane.trim()
      else if (matchKind === 'cookie') req.strategy.match = { cookie: { name: cookieName.trim(), value: cookieValue } }
      else req.strategy.match = { headers: { [header.trim().toLowerCase()]: { [op]: value } } }
    }
    return req
  }

  const submit = (e: FormEvent) => {
    e.preventDefault()
    run(async () => onDeployed(await post<DeployResult>(base + '/deployments', body())))
  }

  return (
    <form className="form deploy" onSubmit={submit} aria-label="Deploy a new revision" noValidate>
      <h2>Deploy a new revision</h2>
      {breakGlass && (
        <>
          <p className="banner warn">
            {env} is reached by promotion: a direct deploy skips its promotion policy (break-glass) and is recorded with your reason.
          </p>
          <Field label="Break-glass reason" errors={fe('breakGlass', true)}>
            {(p) => <input {...p} name="breakGlass" required value={reason} onChange={(e) => setReason(e.target.value)} />}
          </Field>
        </>
      )}
      <Field label="Image" errors={fe('image')} hint="The whole reference, e.g. dev.local/team/app:v2 or …@sha256:<digest>.">
        {(p) => <input {...p} name="image" required value={image} onChange={(e) => setImage(e.target.value)} spellCheck={false} />}
      </Field>
      <Field label="Message" errors={fe('message')} hint="Why: shown in revisions and history.">
        {(p) => <input {...p} name="message" value={message} onChange={(e) => setMessage(e.target.value)} />}
      </Field>

      <fieldset>
        <legend>Strategy</legend>
        {firstDeploy && <p className="hint">A first deploy takes all traffic whatever the strategy.</p>}
        <Radios
          label="Strategy"
          name="strategy"
          value={strategy}
          onChange={setStrategy}
          options={[
            ['replace', 'Replace (100% to the new revision)'],
            ['canary', 'Canary (a share of traffic)'],
            ['header', 'Header (matching requests only)'],
          ]}
        />
        {fe('strategy.type').length > 0 && <div className="field-error">{fe('strategy.type').join('; ')}</div>}
        {strategy === 'canary' && (
          <Field label="Canary percent" errors={fe('strategy.percent')} hint="1 to 99; the current split is scaled to make room.">
            {(p) => <input {...p} name="percent" type="number" min={1} max={99} inputMode="numeric" value={percent} onChange={(e) => setPercent(e.target.value)} />}
          </Field>
        )}
        {strategy === 'header' && (
          <>
            <Radios
              label="Match requests by"
              name="matchKind"
              value={matchKind}
              onChange={setMatchKind}
              options={[
                ['header', 'Header'],
                ['lane', 'Lane (x-slipway-lane)'],
                ['cookie', 'Cookie'],
              ]}
            />
            {matchKind === 'header' && (
              <div className="row">
                <Field label="Header name" errors={fe('strategy.match.headers', true)}>
                  {(p) => <input {...p} value={header} onChange={(e) => setHeader(e.target.value)} spellCheck={false} />}
                </Field>
                <Field label="Match">
                  {(p) => (
                    <select {...p} value={op} onChange={(e) => setOp(e.target.value as Op)}>
                      <option value="exact">equals</option>
                      <option value="prefix">starts with</option>
                      <option value="regex">matches regex (RE2)</option>
                    </select>
                  )}
                </Field>
                <Field label="Value">{(p) => <input {...p} value={value} onChange={(e) => setValue(e.target.value)} spellCheck={false} />}</Field>
              </div>
            )}
            {matchKind === 'lane' && (
              <Field label="Lane" errors={fe('strategy.lane')}>
                {(p) => <input {...p} value={lane} onChange={(e) => setLane(e.target.value)} />}
              </Field>
            )}
            {matchKind === 'cookie' && (
              <div className="row">
                <Field label="Cookie name" errors={fe('strategy.match.cookie.name')}>
                  {(p) => <input {...p} value={cookieName} onChange={(e) => setCookieName(e.target.value)} />}
                </Field>
                <Field label="Cookie value" errors={fe('strategy.match.cookie.value')}>
                  {(p) => <input {...p} value={cookieValue} onChange={(e) => setCookieValue(e.target.value)} />}
                </Field>
              </div>
            )}
            {fe('strategy.match').length > 0 && <div className="field-error">{fe('strategy.match').join('; ')}</div>}
            <Field label="Tag (optional)" errors={fe('strategy.tag')} hint="The new revision's tag; default r<number>.">
              {(p) => <input {...p} value={tag} onChange={(e) => setTag(e.target.value)} />}
            </Field>
          </>
        )}
      </fieldset>

      <fieldset>
        <legend>Scaling</legend>
        <div className="row">
          <Field label="Min scale" errors={fe('scaling.minScale')} hint={policy ? `${env} requires ≥ ${policy.minScale}` : undefined}>
            {(p) => <input {...p} name="minScale" type="number" min={0} inputMode="numeric" value={minScale} onChange={(e) => setMinScale(e.target.value)} />}
          </Field>
          <Field label="Max scale" errors={fe('scaling.maxScale')} hint={policy?.maxScale ? `${env} allows ≤ ${policy.maxScale}` : undefined}>
            {(p) => <input {...p} name="maxScale" type="number" min={1} inputMode="numeric" value={maxScale} onChange={(e) => setMaxScale(e.target.value)} />}
          </Field>
          <Field label="Target concurrency" errors={fe('scaling.target')}>
            {(p) => <input {...p} name="target" type="number" min={1} inputMode="numeric" value={target} onChange={(e) => setTarget(e.target.value)} />}
          </Field>
          <Field label="Port" errors={fe('port')}>
            {(p) => <input {...p} name="port" type="number" min={1} max={65535} inputMode="numeric" value={port} onChange={(e) => setPort(e.target.value)} />}
          </Field>
        </div>
        {fe('scaling').length > 0 && <div className="field-error">{fe('scaling').join('; ')}</div>}
      </fieldset>

      <fieldset>
        <legend>Environment variables</legend>
        {vars.map((v, i) => (
          <div className="row" key={v.key}>
            <Field label={`Name ${i + 1}`} errors={fe(`env[${i}].name`)}>
              {(p) => <input {...p} value={v.name} onChange={(e) => setVars(vars.map((x) => (x.key === v.key ? { ...x, name: e.target.value } : x)))} spellCheck={false} />}
            </Field>
            <Field label={`Value ${i + 1}`} errors={fe(`env[${i}].value`)}>
              {(p) => <input {...p} value={v.value} onChange={(e) => setVars(vars.map((x) => (x.key === v.key ? { ...x, value: e.target.value } : x)))} spellCheck={false} />}
            </Field>
            <button type="button" className="remove" onClick={() => setVars(vars.filter((x) => x.key !== v.key))} aria-label={`Remove variable ${i + 1}`}>
              Remove
            </button>
          </div>
        ))}
        {fe('env').length > 0 && <div className="field-error">{fe('env').join('; ')}</div>}
        <button type="button" onClick={() => setVars([...vars, { key: key(), name: '', value: '' }])}>
          Add variable
        </button>
      </fieldset>

      <fieldset>
        <legend>Log paths</legend>
        <p className="hint">Directories in the container whose files the platform collects (absolute, not system directories).</p>
        {logs.map((l, i) => (
          <div className="row" key={l.key}>
            <Field label={`Path ${i + 1}`} errors={fe(`logPaths[${i}].path`)}>
              {(p) => <input {...p} value={l.path} placeholder="/app/logs" onChange={(e) => setLogs(logs.map((x) => (x.key === l.key ? { ...x, path: e.target.value } : x)))} spellCheck={false} />}
            </Field>
            <Field label={`Container ${i + 1}`} errors={fe(`logPaths[${i}].container`)}>
              {(p) => <input {...p} value={l.container ?? ''} placeholder="user-container" onChange={(e) => setLogs(logs.map((x) => (x.key === l.key ? { ...x, container: e.target.value } : x)))} />}
            </Field>
            <Field label={`Name ${i + 1}`} errors={fe(`logPaths[${i}].name`)}>
              {(p) => <input {...p} value={l.name ?? ''} onChange={(e) => setLogs(logs.map((x) => (x.key === l.key ? { ...x, name: e.target.value } : x)))} />}
            </Field>
            <button type="button" className="remove" onClick={() => setLogs(logs.filter((x) => x.key !== l.key))} aria-label={`Remove log path ${i + 1}`}>
              Remove
            </button>
          </div>
        ))}
        {fe('logPaths').length > 0 && <div className="field-error">{fe('logPaths').join('; ')}</div>}
        <button type="button" onClick={() => setLogs([...logs, { key: key(), path: '' }])}>
          Add log path
        </button>
      </fieldset>

      <ErrorBanner error={error} prefix="Deploy refused" />
      <button type="submit" className="primary" disabled={busy}>
        {busy ? 'Deploying…' : 'Deploy'}
      </button>
    </form>
  )
}

interface RadiosProps<T extends string> {
  label: string
  name: string
  value: T
  onChange: (v: T) => void
  /** options are the values with their labels, in order. */
  options: [T, string][]
}

/** Radios is a labelled group of radio buttons, one a value. */
function Radios<T extends string>({ label, name, value, onChange, options }: RadiosProps<T>) {
  return (
    <div className="radios" role="radiogroup" aria-label={label}>
      {options.map(([v, text]) => (
        <label key={v}>
          <input type="radio" name={name} value={v} checked={value === v} onChange={() => onChange(v)} />{' '}
          {text}
        </label>
      ))}
    </div>
  )
}
