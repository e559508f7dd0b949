// Calls to the console's JSON API (console/API.md). Paths are relative so
// the console works wherever it is mounted.

// LoginRequired is thrown when the API answers 401: the app then shows
// the login form and comes back afterwards.
export class LoginRequired extends Error {}

export class APIError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function call(method, path, body) {
  const init = {method, headers: {Accept: 'application/json'}, credentials: 'same-origin'};
  if (method !== 'GET') {
    // The server refuses a POST without it: a form on another site cannot
    // set a custom header.
    init.headers['X-Perch-Console'] = '1';
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
  }
  const res = await fetch('api/' + path, init);
  if (res.status === 401 && path !== 'login') throw new LoginRequired('login required');
  if (res.status === 204) return null;
  let data = null;
  try {
    data = await res.json();
  } catch {
    if (!res.ok) throw new APIError(res.status, `${res.status} ${res.statusText}`);
    throw new APIError(res.status, 'the server answered something that is not JSON');
  }
  if (!res.ok) throw new APIError(res.status, (data && data.error) || `${res.status} ${res.statusText}`);
  return data;
}

export function get(path, params = {}) {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') query.set(k, v);
  const qs = query.toString();
  return call('GET', qs ? `${path}?${qs}` : path);
}

export function post(path, body) {
  return call('POST', path, body);
}

// tailURL is the event stream of a dataset's new records, with filters.
export function tailURL(params) {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) query.set(k, v);
  return 'api/tail?' + query.toString();
}
