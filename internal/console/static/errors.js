// ACK errors for people: the code, the message and the request id as the
// server sent them, a line in plain words on what happened and what to do,
// and a link to the code's section of ackup's docs/errors.md (the same link
// the server puts in a gateway error's Recommend field).

import { h } from './ui.js';

export const DOCS = 'https://github.com/ackup/ackup/blob/main/docs/errors.md';

// docsLink is the code's section: the anchor is the lower-case code with
// the dots removed, as GitHub renders the heading.
export function docsLink(code) {
  return `${DOCS}#${String(code).toLowerCase().replaceAll('.', '')}`;
}

// An ACK error response, in either of its two body shapes:
// {"code","message","requestId","status"} or the gateway's
// {"Code","Message","RequestId","HostId","Recommend"}.
export class ApiError extends Error {
  constructor({ status, code, message, requestId, recommend }) {
    super(message || code);
    this.status = status;
    this.code = code;
    this.requestId = requestId;
    this.recommend = recommend;
  }

  static from(res) {
    const b = res.json && typeof res.json === 'object' ? res.json : {};
    const header = res.headers.find(([k]) => k === 'x-acs-request-id');
    return new ApiError({
      status: res.status,
      code: b.Code ?? b.code ?? `HTTP ${res.status}`,
      message: b.Message ?? b.message ?? res.text.slice(0, 300),
      requestId: b.RequestId ?? b.requestId ?? (header ? header[1] : ''),
      recommend: b.Recommend,
    });
  }
}

// What each code means for the person at the console; docs/errors.md has
// the full text.
const ADVICE = {
  SignatureDoesNotMatch: 'The request was signed with a secret the server does not have for this AccessKey id. Check the AccessKey secret: sign out and sign in again with the pair ackup printed or that your administrator gave you.',
  'InvalidAccessKeyId.NotFound': 'The server knows no AccessKey with this id. Check the id for typos, or use the pair ackup printed on its first start.',
  'InvalidAccessKeyId.Inactive': 'This AccessKey has been disabled. Ask an administrator to enable it, or sign in with another pair.',
  IncompleteSignature: 'The request carried no valid Authorization header, or a header it claims to sign was missing. Reload the console; if it persists, a proxy may be stripping headers.',
  'InvalidTimeStamp.Expired': "The request's x-acs-date is more than 15 minutes away from the server's clock. Set this computer's clock (or the server's) right.",
  SignatureNonceUsed: 'The server already saw this request (its nonce was used before). Send it again: each attempt gets a fresh nonce.',
  'Throttling.User': 'Too many requests with this AccessKey. Wait a moment and try again; the console slows down by itself.',
  ErrorClusterNotFound: 'No such cluster for this AccessKey: the id is wrong, the cluster was deleted, or it belongs to another account.',
  ErrorNodePoolNotFound: 'The cluster has no node pool with this id.',
  ErrorTaskNotFound: 'No such task for this AccessKey; for the old cluster-scoped calls: the cluster has no upgrade to act on.',
  ErrorCheckNotFound: 'The cluster has no check with this id.',
  ErrorClusterState: 'The cluster cannot do this now: another task is running on it, or it is still being created or deleted. Wait for the running task to finish (or cancel it) and try again.',
  ErrorTaskState: 'The task cannot do this in its current state: only a running task can be paused, only a paused task resumed, and a finished task cannot be canceled.',
  InvalidParameter: 'A parameter has a value the server does not accept; the message names it and says what is allowed.',
  MissingParameter: 'A required parameter is missing; the message names it.',
  RequestEntityTooLarge: 'The request body is larger than 1 MiB.',
  InternalError: 'Something unexpected failed on the server. It logged the details with the request id: quote the id when you report it.',
  ServiceUnavailable: 'The server cannot reach what it depends on (its database) right now. Try again shortly.',
  'InvalidAction.NotFound': 'No ACK operation is served at this method and path.',
  UnsupportedHTTPMethod: 'This path exists, but not for this HTTP method.',
};

export function advice(code) {
  return ADVICE[code] || 'See the documentation of this code for what it means and what to do.';
}

// errorView renders any error: an ApiError in full, anything else (a
// network failure, a missing WebCrypto) as its message.
export function errorView(err) {
  if (!(err instanceof ApiError)) {
    return h('div', { class: 'error', role: 'alert' },
      h('p', { class: 'error-title' }, 'The request could not be sent'),
      h('p', {}, String(err && err.message ? err.message : err)));
  }
  const link = err.recommend || docsLink(err.code);
  return h('div', { class: 'error', role: 'alert', 'data-code': err.code },
    h('p', { class: 'error-title' }, h('code', {}, err.code), ` (HTTP ${err.status})`),
    h('p', { class: 'error-advice' }, advice(err.code)),
    h('dl', { class: 'error-details' },
      h('dt', {}, 'Message'), h('dd', {}, err.message || '(none)'),
      h('dt', {}, 'Request id'), h('dd', {}, h('code', {}, err.requestId || '(none)'))),
    h('p', {}, h('a', { href: link, target: '_blank', rel: 'noopener noreferrer', class: 'docs-link' },
      `What ${err.code} means and what to do`)));
}
