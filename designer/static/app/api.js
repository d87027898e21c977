// The API client every page uses. Paths are relative to /api/v1 ("/records/sales_erp/customer") or
// absolute ("/api/v1/..."). JSON in and out; writes carry the session's CSRF token; a 401 sends the
// user to the sign-in page; every failure is thrown as an ApiError in the API's one error shape.

const BASE = '/api/v1';
let csrfToken = null;
let unauthorized = null;

export class ApiError extends Error {
  // status: HTTP status (0: the network failed); code: "record.E404"...; message: {zh, en};
  // details: [{path, message: {zh, en}}]; body: the whole answer (an import's refusal has .report)
  constructor(status, code, message, details = [], body = null) {
    super((message && (message.en || message.zh)) || code);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.message = message;
    this.details = details;
    this.body = body;
  }

  static from(status, body) {
    if (body && body.code && body.message) {
      return new ApiError(status, body.code, body.message, body.details || [], body);
    }
    return new ApiError(status, `http.E${status}`, { zh: `请求失败 (${status})`, en: `request failed (${status})` });
  }
}

export function setCsrfToken(token) { csrfToken = token; }

// the header a write sent outside request() needs (an upload through XMLHttpRequest, for its progress)
export function csrfHeaders() { return csrfToken ? { 'X-CSRF-Token': csrfToken } : {}; }

// fn() is called when a request answers 401 (the session ended): the session module signs out
export function onUnauthorized(fn) { unauthorized = fn; }

export function apiUrl(path, query) {
  const base = path.startsWith('/api/') ? path : BASE + path;
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query || {})) {
    if (v === undefined || v === null || v === '') continue;
    qs.append(k, typeof v === 'object' ? JSON.stringify(v) : String(v));
  }
  const s = qs.toString();
  return s ? `${base}${base.includes('?') ? '&' : '?'}${s}` : base;
}

async function request(method, path, { body, query, raw } = {}) {
  const headers = { Accept: 'application/json' };
  let payload;
  if (body instanceof FormData) {
    payload = body;
  } else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let res;
  try {
    res = await fetch(apiUrl(path, query), { method, headers, body: payload, credentials: 'same-origin' });
  } catch (e) {
    throw new ApiError(0, 'network', { zh: '无法连接服务器，请检查网络', en: 'cannot reach the server: check the network' });
  }
  if (!res.ok) {
    let data = null;
    try { data = await res.json(); } catch (e) { data = null; }
    const err = ApiError.from(res.status, data);
    if (res.status === 401 && unauthorized && !path.endsWith('/auth/login')) unauthorized(err);
    throw err;
  }
  if (raw) return res;
  if (res.status === 204) return null;
  return (res.headers.get('content-type') || '').includes('json') ? res.json() : res.text();
}

function filenameOf(res, fallback) {
  const cd = res.headers.get('content-disposition') || '';
  const star = /filename\*=UTF-8''([^;]+)/i.exec(cd);
  if (star) return decodeURIComponent(star[1]);
  const plain = /filename="?([^";]+)"?/i.exec(cd);
  return plain ? plain[1] : fallback;
}

export const api = {
  get: (path, query) => request('GET', path, { query }),
  post: (path, body, query) => request('POST', path, { body, query }),
  patch: (path, body, query) => request('PATCH', path, { body, query }),
  del: (path, query) => request('DELETE', path, { query }),
  // multipart: form is a FormData (a file upload)
  upload: (path, form, query) => request('POST', path, { body: form, query }),
  // a file the API answers with (an export): saved by the browser under the server's file name
  async download(path, query, fallbackName = 'download') {
    const res = await request('GET', path, { query, raw: true });
    const blob = await res.blob();
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = filenameOf(res, fallbackName);
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 30000);
    return { filename: a.download, count: Number(res.headers.get('x-record-count') || 0) };
  },
};
