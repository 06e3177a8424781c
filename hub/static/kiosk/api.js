// The kiosk API. The key lives in this module's memory only (from the
// address's fragment); nothing is written to localStorage, sessionStorage or
// cookies. Every failure becomes one of a few kinds the screens know.

let key = '';

export function setKey(value) {
  key = value || '';
}

export function hasKey() {
  return key !== '';
}

export class ApiFailure extends Error {
  // kind: 'busy' (network or service down), 'limited' (429), 'unknown' (404),
  // 'key' (401/403), 'invalid' (400/422).
  constructor(kind, status, message, retryAfter = 0) {
    super(message || kind);
    this.kind = kind;
    this.status = status;
    this.retryAfter = retryAfter;
  }
}

const TIMEOUT_MS = 15000;

// While a call is out the page says so (aria-busy for screen readers; the
// tests wait on it rather than on the clock).
let pending = 0;
function busyWhile(change) {
  pending += change;
  document.body.toggleAttribute('data-pending', pending > 0);
  document.getElementById('screen').setAttribute('aria-busy', String(pending > 0));
}

export async function call(method, path, body) {
  busyWhile(1);
  try {
    return await send(method, path, body);
  } finally {
    busyWhile(-1);
  }
}

async function send(method, path, body) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
  let response;
  try {
    response = await fetch(path, {
      method,
      headers: { Authorization: `Kiosk ${key}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
      cache: 'no-store',
      credentials: 'omit',
      signal: controller.signal,
    });
  } catch (error) {
    throw new ApiFailure('busy', 0, String(error));
  } finally {
    clearTimeout(timer);
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (response.ok) return data || {};
  const message = data && data.error && typeof data.error === 'object' ? data.error.message : data && data.message;
  const status = response.status;
  if (status === 429) {
    const seconds = Number(response.headers.get('Retry-After')) || 60;
    throw new ApiFailure('limited', status, message, seconds);
  }
  if (status === 404) throw new ApiFailure('unknown', status, message);
  if (status === 401 || status === 403) throw new ApiFailure('key', status, message);
  if (status >= 500 || status === 408) throw new ApiFailure('busy', status, message);
  throw new ApiFailure('invalid', status, message);
}
