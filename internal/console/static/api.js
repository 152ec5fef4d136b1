// The console's ACK client: it reads the operations from the server's own
// description (GET /api/ackup/operations, generated from the route table
// the server routes with), signs each call in the browser and sends it to
// the same routes every SDK calls.

import { API_VERSION, acsDate, newNonce, percentEncode, sign } from './sign.js';
import { ApiError } from './errors.js';

const STORAGE_KEY = 'ackup.credentials';

// Credentials live in session storage only: gone when the tab closes.
export const credentials = {
  get() {
    try {
      const c = JSON.parse(sessionStorage.getItem(STORAGE_KEY) || 'null');
      return c && c.id && c.secret ? c : null;
    } catch {
      return null;
    }
  },
  set(id, secret) { sessionStorage.setItem(STORAGE_KEY, JSON.stringify({ id, secret })); },
  clear() { sessionStorage.removeItem(STORAGE_KEY); },
};

let operationsPromise = null;

// operations returns the API description, fetched once per page load.
export function operations() {
  operationsPromise ??= fetch('/api/ackup/operations', { headers: { accept: 'application/json' } })
    .then((r) => {
      if (!r.ok) throw new Error(`GET /api/ackup/operations answered ${r.status}`);
      return r.json();
    })
    .then((ops) => new Map(ops.map((op) => [op.name, op])))
    .catch((e) => { operationsPromise = null; throw e; });
  return operationsPromise;
}

// buildRequest turns an operation and its arguments into what is sent.
//   args: { path: {name: value}, query: {name: value}, body: object|undefined }
// Empty query values are left out, as the SDK leaves out unset fields.
export function buildRequest(op, args = {}) {
  const pathArgs = args.path || {};
  const path = op.path.replace(/\{(\w+)\}/g, (_, name) => {
    const v = pathArgs[name];
    if (v === undefined || v === '') throw new Error(`${op.name}: path parameter ${name} is required`);
    return percentEncode(v);
  });
  const query = Object.entries(args.query || {})
    .filter(([, v]) => v !== undefined && v !== null && v !== '')
    .map(([k, v]) => [k, String(v)]);
  const body = args.body === undefined ? '' : JSON.stringify(args.body);
  return { method: op.method, path, query, body };
}

// send signs and sends a request and answers everything about the
// exchange, errors included: { request, status, headers, text, json }.
export async function send(op, args, creds = credentials.get()) {
  if (!creds) throw new Error('Sign in first.');
  const { method, path, query, body } = buildRequest(op, args);
  const headers = {
    accept: 'application/json',
    'x-acs-action': op.name,
    'x-acs-version': API_VERSION,
    'x-acs-date': acsDate(),
    'x-acs-signature-nonce': newNonce(),
  };
  if (body) headers['content-type'] = 'application/json; charset=utf-8';
  const signed = await sign({ method, host: location.host, path, query, headers, body,
    accessKeyId: creds.id, accessKeySecret: creds.secret });
  const qs = query.length ? '?' + query.map(([k, v]) => `${k}=${percentEncode(v)}`).join('&') : '';
  const url = path + qs;
  const resp = await fetch(url, { method, headers: signed.headers, body: body || undefined,
    cache: 'no-store', credentials: 'omit' });
  const text = await resp.text();
  let json;
  try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
  return {
    request: { method, url, host: location.host, headers: signed.headers, body },
    status: resp.status,
    statusText: resp.statusText,
    headers: [...resp.headers.entries()],
    text,
    json,
  };
}

// call sends an operation by name and answers its parsed body, or throws
// an ApiError carrying the ACK error code, message and request id.
export async function call(name, args) {
  const op = (await operations()).get(name);
  if (!op) throw new Error(`the server does not describe an operation named ${name}`);
  const res = await send(op, args);
  if (res.status >= 400) throw ApiError.from(res);
  return res.json ?? {};
}
