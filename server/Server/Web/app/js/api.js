// The one place the app talks to the server: JSON in and out, the session cookie sent by the browser, and the
// CSRF token (kept in memory only, from GET /ui/api/session) on every state-changing request.

let csrfToken = null;
let onSessionEnded = () => {};

export class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

export function setCsrfToken(token) {
  csrfToken = token;
}

/** Called when the server says the session is over (signed out elsewhere, key revoked, user deactivated). */
export function whenSessionEnds(handler) {
  onSessionEnded = handler;
}

export async function api(path, { method = 'GET', body } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
    cache: 'no-store',
  });
  if (response.status === 204) return null;
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    const error = new ApiError(response.status, (data && data.detail) || response.statusText);
    if (response.status === 401 && path !== '/ui/api/session') onSessionEnded(error);
    throw error;
  }
  return data;
}
