// ACS3-HMAC-SHA256 request signing, exactly as the official SDKs compute it
// (docs/wire.md, "ACS3-HMAC-SHA256"), with the browser's WebCrypto.

const encoder = new TextEncoder();

export const ALGORITHM = 'ACS3-HMAC-SHA256';
export const API_VERSION = '2015-12-15';

// percentEncode escapes like the SDK's dara.PercentEncode: everything but
// A-Z a-z 0-9 - _ . ~ is %XX (upper-case hex), a space is %20. Used for
// path parameters and query values, on the wire and in the canonical form.
export function percentEncode(value) {
  return encodeURIComponent(String(value)).replace(/[!'()*]/g,
    (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

// canonicalQuery sorts [key, value] pairs by key (byte order; the keys are
// ASCII) and joins them as key=escaped-value; keys are not escaped.
export function canonicalQuery(pairs) {
  return [...pairs]
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([k, v]) => `${k}=${percentEncode(v)}`)
    .join('&');
}

// canonicalURI is the escaped path as sent, with the SDK's three fix-ups.
export function canonicalURI(path) {
  if (!path) return '/';
  return path.replaceAll('+', '%20').replaceAll('*', '%2A').replaceAll('%7E', '~');
}

export function hex(buffer) {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('');
}

function subtle() {
  if (!globalThis.crypto || !crypto.subtle) {
    throw new Error('This browser offers no WebCrypto here: open the console over HTTPS or on localhost / 127.0.0.1 (an SSH tunnel works), where browsers allow it.');
  }
  return crypto.subtle;
}

export async function sha256Hex(data) {
  const bytes = typeof data === 'string' ? encoder.encode(data) : data;
  return hex(await subtle().digest('SHA-256', bytes));
}

export async function hmacSha256Hex(secret, text) {
  const key = await subtle().importKey('raw', encoder.encode(secret),
    { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return hex(await subtle().sign('HMAC', key, encoder.encode(text)));
}

// acsDate formats a time as x-acs-date wants it: UTC, second precision.
export function acsDate(date = new Date()) {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

// newNonce returns 32 lower-case hex characters from the CSPRNG.
export function newNonce() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return hex(bytes);
}

// sign computes the Authorization header of a request.
//   method, host (as the browser sends it: location.host), path (escaped,
//   as sent), query ([key, value] pairs), headers (lower-case names; the
//   x-acs-* ones and content-type are signed), body (string, '' for none),
//   accessKeyId, accessKeySecret.
// It returns the headers to send (the given ones plus x-acs-content-sha256
// when missing, and authorization; never host, which the browser sets) and
// the intermediate strings, for display and tests.
export async function sign({ method, host, path, query = [], headers = {}, body = '', accessKeyId, accessKeySecret }) {
  const out = {};
  for (const [k, v] of Object.entries(headers)) out[k.toLowerCase()] = String(v);
  const payloadHash = out['x-acs-content-sha256'] || await sha256Hex(body);
  out['x-acs-content-sha256'] = payloadHash;

  const signed = Object.entries({ ...out, host })
    .filter(([k]) => k === 'host' || k === 'content-type' || k.startsWith('x-acs-'))
    .map(([k, v]) => [k, v.trim()])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const canonicalHeaders = signed.map(([k, v]) => `${k}:${v}\n`).join('');
  const signedHeaders = signed.map(([k]) => k).join(';');
  const canonicalRequest = [method.toUpperCase(), canonicalURI(path), canonicalQuery(query),
    canonicalHeaders, signedHeaders, payloadHash].join('\n');
  const stringToSign = `${ALGORITHM}\n${await sha256Hex(canonicalRequest)}`;
  const signature = await hmacSha256Hex(accessKeySecret, stringToSign);
  out.authorization = `${ALGORITHM} Credential=${accessKeyId},SignedHeaders=${signedHeaders},Signature=${signature}`;
  return { headers: out, canonicalRequest, stringToSign, signature, signedHeaders };
}
