// The console's entry point: sign-in, the hash router, and the nav bar.
// Routes: #/ (fleet), #/clusters/<id>, #/explorer[/<operation>].

import { credentials, operations, send } from './api.js';
import { ApiError, errorView } from './errors.js';
import { fleetPage } from './fleet.js';
import { clusterPage } from './cluster.js';
import { explorerPage } from './explorer.js';
import { h, replace } from './ui.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');
let stopPage = () => {};

function signInPage() {
  const out = h('div', { id: 'sign-in-out' });
  const form = h('form', { class: 'card sign-in', id: 'sign-in', onsubmit: async (ev) => {
    ev.preventDefault();
    const id = form.elements.id.value.trim();
    const secret = form.elements.secret.value;
    replace(out, h('p', { class: 'muted' }, 'Checking the key…'));
    try {
      // The key is tried with a cheap call before it is kept.
      const op = (await operations()).get('DescribeClustersV1');
      const res = await send(op, { query: { page_size: 1 } }, { id, secret });
      if (res.status >= 400) throw ApiError.from(res);
    } catch (e) {
      replace(out, errorView(e));
      return;
    }
    credentials.set(id, secret);
    route();
  } },
  h('h1', {}, 'Sign in'),
  h('p', {}, 'Use an AccessKey pair of this ackup server: the one printed on its first start, or the one in ',
    h('code', {}, 'ALIBABA_CLOUD_ACCESS_KEY_ID'), ' / ', h('code', {}, 'ALIBABA_CLOUD_ACCESS_KEY_SECRET'), '.'),
  h('label', {}, 'AccessKey id', h('input', { name: 'id', id: 'ak-id', required: true, autocomplete: 'username', spellcheck: false })),
  h('label', {}, 'AccessKey secret', h('input', { name: 'secret', id: 'ak-secret', type: 'password', required: true, autocomplete: 'current-password' })),
  h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary', id: 'sign-in-submit' }, 'Sign in')),
  h('p', { class: 'muted small' }, 'The pair stays in this tab’s session storage. Each request is signed here in the browser (ACS3-HMAC-SHA256); the secret is never sent.'),
  out);
  replace(main, form);
  form.elements.id.focus();
}

async function route() {
  stopPage();
  stopPage = () => {};
  const creds = credentials.get();
  nav.hidden = !creds;
  if (!creds) {
    document.title = 'Sign in · ackup';
    signInPage();
    return;
  }
  document.getElementById('who').textContent = creds.id;
  const hash = location.hash.replace(/^#/, '') || '/';
  const [, section, arg] = hash.split('/').map(decodeURIComponent);
  for (const a of nav.querySelectorAll('[data-nav]')) {
    a.classList.toggle('current', a.dataset.nav === (section === 'explorer' ? 'explorer' : 'fleet'));
  }
  if (section === 'clusters' && arg) {
    document.title = 'Cluster · ackup';
    stopPage = clusterPage(main, arg);
  } else if (section === 'explorer') {
    document.title = 'API explorer · ackup';
    stopPage = await explorerPage(main, arg);
  } else {
    document.title = 'Clusters · ackup';
    stopPage = fleetPage(main);
  }
}

document.getElementById('sign-out').addEventListener('click', () => {
  credentials.clear();
  location.hash = '#/';
  route();
});
window.addEventListener('hashchange', route);
route();

