// The one way the console talks to platform-api: bearer token, JSON, problem+json errors
// turned into ApiError (field errors kept), network failures turned into ApiError too.
import type { FieldError, Problem } from './schema'

export class ApiError extends Error {
  readonly status: number
  readonly problem?: Problem
  /** network is true when platform-api could not be reached at all. */
  readonly network: boolean

  constructor(message: string, status: number, problem?: Problem, network = false) {
    super(message)
    this.status = status
    this.problem = problem
    this.network = network
  }

  /** fieldErrors are the problem's errors[], by field path as the API names them. */
  get fieldErrors(): FieldError[] {
    return this.problem?.errors ?? []
  }
}

const TOKEN_KEY = 'slipway.token'
let token: string | null = readToken()
const unauthorizedListeners = new Set<() => void>()

function readToken(): string | null {
  try {
    return sessionStorage.getItem(TOKEN_KEY)
  } catch {
    return null
  }
}

export function getToken(): string | null {
  return token
}

export function setToken(t: string | null) {
  token = t
  try {
    if (t) sessionStorage.setItem(TOKEN_KEY, t)
    else sessionStorage.removeItem(TOKEN_KEY)
  } catch {
    /* storage disabled: the token lives as long as the page */
  }
}

/** onUnauthorized is called whenever the API answers 401 (token expired or revoked). */
export function onUnauthorized(fn: () => void): () => void {
  unauthorizedListeners.add(fn)
  return () => unauthorizedListeners.delete(fn)
}

/** onUnauthorizedNotify tells the listeners a request outside request() was answered 401. */
export function onUnauthorizedNotify() {
  unauthorizedListeners.forEach((fn) => fn())
}

export const API = '/api/v1'

export interface RequestOptions {
  body?: unknown
  /** text returns the body as a string (YAML endpoints). */
  text?: boolean
  /** tokenOverride checks a token before it is stored (login). */
  tokenOverride?: string
  signal?: AbortSignal
  /** headers are sent as well (If-Match: a version the change is conditional on). */
  headers?: Record<string, string>
  /** revalidate: false sends no If-None-Match (a read whose ETag is a version, not its body). */
  revalidate?: boolean
}

// ETag cache for GETs: polling sends If-None-Match and a 304 reuses the last body.
const etags = new Map<string, { etag: string; data: unknown }>()
// The ETag each JSON body came with (a 304 hands back the same object, so the same tag).
const versions = new WeakMap<object, string>()

/** versionOf is the ETag a body read by GET came with: what a later If-Match names. */
export function versionOf(data: unknown): string | undefined {
  return data !== null && typeof data === 'object' ? versions.get(data) : undefined
}

export async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
  const url = path.startsWith('/') ? path : `${API}/${path}`
  const headers: Record<string, string> = { ...opts.headers, Accept: opts.text ? 'application/yaml, application/problem+json' : 'application/json, application/problem+json' }
  const t = opts.tokenOverride ?? token
  if (t) headers.Authorization = `Bearer ${t}`
  let body: string | undefined
  if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json'
    body = JSON.stringify(opts.body)
  }
  const cacheKey = `${t ?? ''} ${url}`
  const cached = method === 'GET' && !opts.text ? etags.get(cacheKey) : undefined
  if (cached && opts.revalidate !== false) headers['If-None-Match'] = cached.etag

  let res: Response
  try {
    res = await fetch(url, { method, headers, body, cache: 'no-store', signal: opts.signal, credentials: 'omit' })
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e
    throw new ApiError(`Cannot reach platform-api (${method} ${url}): ${(e as Error).message || 'network error'}`, 0, undefined, true)
  }
  if (res.status === 304 && cached) return cached.data as T
  if (res.status === 401 && !opts.tokenOverride) unauthorizedListeners.forEach((fn) => fn())
  if (!res.ok) throw await toError(res, method, url)
  if (res.status === 204) return undefined as T
  if (opts.text) return (await res.text()) as T
  const data = (await res.json()) as T
  const etag = res.headers.get('ETag')
  if (etag && data !== null && typeof data === 'object') versions.set(data, etag)
  if (method === 'GET' && etag) etags.set(cacheKey, { etag, data })
  return data
}

async function toError(res: Response, method: string, url: string): Promise<ApiError> {
  const type = res.headers.get('Content-Type') ?? ''
  let text = ''
  try {
    text = await res.text()
  } catch {
    /* body lost: the status still says what happened */
  }
  if (type.includes('json')) {
    try {
      const p = JSON.parse(text) as Problem
      const msg = [p.title, p.detail].filter(Boolean).join(': ') || `${res.status} ${res.statusText}`
      return new ApiError(msg, res.status, { ...p, status: p.status || res.status })
    } catch {
      /* fall through to the plain message */
    }
  }
  return new ApiError(`${method} ${url}: ${res.status} ${res.statusText}${text ? ': ' + text.slice(0, 300) : ''}`, res.status)
}

export const get = <T,>(path: string, opts?: RequestOptions) => request<T>('GET', path, opts)
export const post = <T,>(path: string, body: unknown) => request<T>('POST', path, { body })
export const put = <T,>(path: string, body: unknown, headers?: Record<string, string>) => request<T>('PUT', path, { body, headers })
export const del = (path: string) => request<void>('DELETE', path)

/** appPath is the API path of an app in an environment. */
export function appPath(project: string, app: string, env: string): string {
  return `${API}/projects/${encodeURIComponent(project)}/apps/${encodeURIComponent(app)}/envs/${encodeURIComponent(env)}`
}

export function asApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e
  return new ApiError(e instanceof Error ? e.message : String(e), 0)
}

/** appAcrossPath is the API path of an app across its environments (releases, promotions, diff). */
export function appAcrossPath(project: string, app: string): string {
  return `${API}/projects/${encodeURIComponent(project)}/apps/${encodeURIComponent(app)}`
}
