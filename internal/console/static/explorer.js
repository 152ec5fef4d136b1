// The API explorer: every operation the server describes (from the same
// route table it routes with), a form for the chosen one, the exact
// exchange when it is sent, and the same call as code.

import { operations, send } from './api.js';
import { ApiError, errorView } from './errors.js';
import { cliSnippet, goSnippet, nodeSnippet } from './snippets.js';
import { copyButton, h, replace } from './ui.js';

// Values remembered between operations, so a cluster id typed once fills
// every ClusterId / cluster_id field.
const remembered = new Map();
const alias = (name) => ({ cluster_id: 'ClusterId' }[name] || name);

export async function explorerPage(root, opName) {
  let ops;
  try {
    ops = await operations();
  } catch (e) {
    replace(root, errorView(e));
    return () => {};
  }
  const names = [...ops.keys()].sort();
  const current = ops.get(opName) || ops.get('GetUpgradeStatus') || ops.get(names[0]);
  const list = h('nav', { class: 'op-list', 'aria-label': 'operations' },
    h('select', { class: 'op-select', 'aria-label': 'operation', onchange: (e) => { location.hash = `#/explorer/${e.target.value}`; } },
      names.map((n) => h('option', { value: n, selected: n === current.name }, n))),
    h('ul', {}, names.map((n) => {
      const op = ops.get(n);
      return h('li', {}, h('a', { href: `#/explorer/${n}`, class: n === current.name ? 'current' : '', 'data-op': n },
        h('span', { class: `method m-${op.method}` }, op.method), h('span', {}, n), op.deprecated ? h('span', { class: 'dep' }, 'deprecated') : ''));
    })));
  const detail = h('div', { class: 'op-detail' });
  replace(root, h('div', { class: 'explorer' }, list, detail));
  renderOperation(detail, current);
  return () => {};
}

function input(p) {
  const attrs = { name: `${p.in}:${p.name}`, 'data-param': p.name, 'data-in': p.in, id: `param-${p.in}-${p.name}` };
  const value = remembered.get(alias(p.name)) ?? '';
  if (p.enum && p.enum.length) {
    return h('select', attrs, h('option', { value: '' }, p.required ? 'choose…' : '(not set)'),
      p.enum.map((v) => h('option', { value: v, selected: v === value }, v)));
  }
  if (p.type === 'boolean') {
    return h('select', attrs, ['', 'true', 'false'].map((v) => h('option', { value: v, selected: v === value }, v || '(not set)')));
  }
  if (p.type === 'integer') {
    return h('input', { ...attrs, type: 'number', min: p.min ?? false, max: p.max ?? false, value, placeholder: p.default || '' });
  }
  const placeholder = p.type === 'array' ? 'JSON array, e.g. ["a"]' : p.type === 'object' ? 'JSON object' : (p.default || '');
  return h('input', { ...attrs, type: 'text', value, placeholder, autocomplete: 'off', spellcheck: false });
}

// setPath sets a dotted body path ("rolling_policy.max_parallelism").
function setPath(obj, dotted, value) {
  const keys = dotted.split('.');
  let o = obj;
  for (const k of keys.slice(0, -1)) o = o[k] ??= {};
  o[keys[keys.length - 1]] = value;
}

function typed(p, raw) {
  switch (p.type) {
    case 'integer': return Number(raw);
    case 'boolean': return raw === 'true';
    case 'array':
    case 'object': return JSON.parse(raw);
    default: return raw;
  }
}

function renderOperation(root, op) {
  // Body parameters inside arrays ("nodepools[].…") are documented, but
  // edited as part of their array's JSON.
  const params = op.params.filter((p) => !p.name.includes('[]'));
  const nested = op.params.filter((p) => p.name.includes('[]'));
  const hasBody = op.params.some((p) => p.in === 'body');
  const bodyText = h('textarea', { id: 'body-json', rows: 6, spellcheck: false, 'aria-label': 'request body (JSON)' });
  let bodyEdited = false;
  bodyText.addEventListener('input', () => { bodyEdited = true; });
  const out = h('div', { class: 'exchange', id: 'exchange' });
  const code = h('div', { class: 'code', id: 'code', hidden: true });
  const formError = h('div');

  const form = h('form', { class: 'card', id: 'op-form', onsubmit: (e) => { e.preventDefault(); sendIt(); } },
    params.length ? h('div', { class: 'params' }, params.map((p) => h('label', { class: 'param' },
      h('span', { class: 'pname' }, h('code', {}, p.name), p.required ? h('span', { class: 'req' }, ' required') : '',
        h('span', { class: 'muted small' }, ` ${p.in}, ${p.type}${p.enum ? ': ' + p.enum.join(' | ') : ''}${p.min != null ? ` (${p.min}–${p.max})` : ''}`)),
      input(p),
      h('span', { class: 'muted small' }, p.doc)))) : h('p', { class: 'muted' }, 'This operation takes no parameters.'),
    nested.length ? h('details', {}, h('summary', {}, 'Fields inside arrays'),
      h('ul', {}, nested.map((p) => h('li', {}, h('code', {}, p.name), ` ${p.type}${p.required ? ', required' : ''}: ${p.doc}`)))) : null,
    hasBody ? h('label', { class: 'param' }, h('span', { class: 'pname' }, 'Body (JSON, built from the fields above; edit freely)'), bodyText) : null,
    formError,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary', id: 'send' }, 'Send')));

  const tabExchange = h('button', { type: 'button', role: 'tab', id: 'tab-exchange', 'aria-selected': 'true', onclick: () => show(false) }, 'Request & response');
  const tabCode = h('button', { type: 'button', role: 'tab', id: 'tab-code', 'aria-selected': 'false', onclick: () => show(true) }, 'Code');
  function show(isCode) {
    code.hidden = !isCode;
    out.hidden = isCode;
    tabCode.setAttribute('aria-selected', String(isCode));
    tabExchange.setAttribute('aria-selected', String(!isCode));
    if (isCode) renderCode();
  }

  replace(root,
    h('h1', {}, op.name, op.deprecated ? h('span', { class: 'dep' }, ' deprecated') : ''),
    h('p', {}, op.doc),
    h('p', {}, h('code', { class: 'route' }, `${op.method} ${op.path}`),
      h('span', { class: 'muted small' }, ` answers ${op.successStatus}, body ${op.bodyType}`)),
    form,
    h('div', { class: 'tabs', role: 'tablist' }, tabExchange, tabCode),
    out, code);

  // args reads the form: { path, query, body }.
  function args() {
    const a = { path: {}, query: {}, body: undefined };
    const body = {};
    for (const el of form.querySelectorAll('[data-param]')) {
      const p = op.params.find((x) => x.name === el.dataset.param && x.in === el.dataset.in);
      const raw = el.value.trim();
      if (raw === '') continue;
      remembered.set(alias(p.name), raw);
      if (p.in === 'path') a.path[p.name] = raw;
      else if (p.in === 'query') a.query[p.name] = raw;
      else setPath(body, p.name, typed(p, raw));
    }
    if (hasBody) {
      a.body = bodyEdited && bodyText.value.trim() ? JSON.parse(bodyText.value) : body;
      if (!bodyEdited) bodyText.value = Object.keys(body).length ? JSON.stringify(body, null, 2) : '';
      if (!bodyEdited && Object.keys(body).length === 0) a.body = undefined;
    }
    return a;
  }

  form.addEventListener('input', (e) => {
    if (e.target === bodyText) return;
    try { args(); replace(formError); } catch (err) { replace(formError, h('p', { class: 'no' }, String(err.message))); }
    if (!code.hidden) renderCode();
  });

  function renderCode() {
    let a;
    try { a = args(); } catch (e) { replace(code, h('p', { class: 'no' }, String(e.message))); return; }
    const blocks = [
      ['Go (cs-20151215/v7)', 'code-go', goSnippet(op, a, location.host)],
      ['Node.js (@alicloud/cs20151215)', 'code-node', nodeSnippet(op, a, location.host)],
      ['ackup CLI', 'code-cli', cliSnippet(op, a, location.host)],
    ];
    replace(code, blocks.map(([title, id, text]) => {
      const pre = h('pre', { id }, text);
      return h('section', { class: 'snippet' }, h('div', { class: 'snippet-head' }, h('h3', {}, title), copyButton(pre)), pre);
    }));
  }

  async function sendIt() {
    let a;
    try {
      a = args();
    } catch (e) {
      replace(formError, h('p', { class: 'no' }, `The form is not valid: ${e.message}`));
      return;
    }
    replace(formError);
    show(false);
    replace(out, h('p', { class: 'muted' }, 'Sending…'));
    let res;
    try {
      res = await send(op, a);
    } catch (e) {
      replace(out, errorView(e));
      return;
    }
    const req = res.request;
    const reqText = [`${req.method} ${req.url} HTTP/1.1`, `host: ${req.host}`,
      ...Object.entries(req.headers).map(([k, v]) => `${k}: ${v}`)].join('\n') + (req.body ? `\n\n${req.body}` : '');
    const pretty = res.json !== undefined ? JSON.stringify(res.json, null, 2) : res.text;
    const reqPre = h('pre', { id: 'request-text', class: 'wrap' }, reqText);
    const bodyPre = h('pre', { id: 'response-body' }, pretty);
    replace(out,
      res.status >= 400 ? errorView(ApiError.from(res)) : null,
      h('section', {}, h('div', { class: 'snippet-head' }, h('h3', {}, 'Request sent'), copyButton(reqPre)),
        h('p', { class: 'muted small' }, 'Signed in this browser with ACS3-HMAC-SHA256; the AccessKey secret never leaves it. The browser adds its own unsigned headers (user-agent, origin, …).'),
        reqPre),
      h('section', {}, h('h3', {}, 'Response'),
        h('p', {}, h('strong', { id: 'response-status', class: res.status >= 400 ? 'no' : 'yes' }, `${res.status} ${res.statusText}`)),
        h('pre', { id: 'response-headers', class: 'wrap' }, res.headers.map(([k, v]) => `${k}: ${v}`).join('\n')),
        h('div', { class: 'snippet-head' }, h('h4', {}, 'Body'), copyButton(bodyPre)),
        bodyPre));
  }
}
