// The fleet view: every cluster with its version and state and, while an
// upgrade runs, its progress, stage and ETA; and the form that creates a
// cluster, with the simulator's fault tags as checkboxes.

import { call } from './api.js';
import { errorView } from './errors.js';
import { allNodes, describe, latestTask, stageName } from './progress.js';
import { duration, h, poll, replace } from './ui.js';

// progressCell renders an upgrade's progress: bar, counts, stage, ETA.
export function progressCell(p) {
  if (!p || !p.task || !p.isUpgrade) return h('span', { class: 'muted' }, '—');
  const done = p.state === 'success';
  const label = done ? 'done' : p.state === 'paused' ? 'paused'
    : p.state === 'running' ? stageName(p.stage) : p.state;
  return h('div', { class: `progress state-${p.state}`, 'data-state': p.state },
    h('progress', { max: 1, value: p.fraction, 'aria-label': 'nodes upgraded' }),
    h('span', { class: 'progress-count' }, `${p.upgraded}/${p.total} nodes`),
    h('span', { class: 'progress-stage' }, label),
    p.active ? h('span', { class: 'progress-eta' }, p.state === 'paused' ? 'ETA: paused'
      : p.eta != null ? `ETA ${duration(p.eta)}` : 'ETA: estimating') : null,
    p.blocker ? h('span', { class: 'progress-blocked' }, 'blocked') : null);
}

async function clusterProgress(c) {
  const [task, nodes] = await Promise.all([latestTask(c.cluster_id), allNodes(c.cluster_id)]);
  return describe(c, task, nodes);
}

export function fleetPage(root) {
  const status = h('div', { class: 'status' });
  const list = h('div', { class: 'table-wrap' }, h('p', { class: 'muted' }, 'Loading clusters…'));
  const form = createForm(() => refresh());
  form.hidden = true;
  const toggle = h('button', { type: 'button', class: 'primary', id: 'create-toggle',
    onclick: () => { form.hidden = !form.hidden; } }, 'Create cluster');
  replace(root,
    h('div', { class: 'page-head' }, h('h1', {}, 'Clusters'), toggle),
    form, status, list);

  // Progress of clusters that are upgrading, and of those that finished
  // in the last minute, so a bar is seen to reach done.
  const progress = new Map(); // cluster id -> { p, until }
  async function refresh() {
    let body;
    try {
      body = await call('DescribeClustersV1', { query: { page_size: 100 } });
      replace(status);
    } catch (e) {
      replace(status, errorView(e));
      return;
    }
    const clusters = body.clusters || [];
    const now = Date.now();
    const watched = clusters.filter((c) => c.state === 'updating' || progress.get(c.cluster_id)?.until > now);
    await Promise.all(watched.map(async (c) => {
      try {
        const p = await clusterProgress(c);
        const until = p.active ? Infinity : Math.min(progress.get(c.cluster_id)?.until ?? Infinity, now + 60000);
        progress.set(c.cluster_id, { p, until });
      } catch (e) {
        console.warn(`progress of ${c.cluster_id}:`, e);
      }
    }));
    replace(list, clusters.length === 0
      ? h('p', { class: 'muted' }, 'No clusters yet. Create one to try an upgrade.')
      : h('table', { class: 'fleet' },
        h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'Version'), h('th', {}, 'State'),
          h('th', { class: 'wide' }, 'Upgrade'), h('th', {}, 'Nodes'))),
        h('tbody', {}, clusters.map((c) => h('tr', { 'data-cluster': c.cluster_id },
          h('td', { 'data-label': 'Name' }, h('a', { href: `#/clusters/${encodeURIComponent(c.cluster_id)}` }, c.name),
            h('div', { class: 'muted small' }, c.cluster_id)),
          h('td', { 'data-label': 'Version' }, c.current_version),
          h('td', { 'data-label': 'State' }, h('span', { class: `badge state-${c.state}` }, c.state)),
          h('td', { 'data-label': 'Upgrade' }, progressCell(progress.get(c.cluster_id)?.p)),
          h('td', { 'data-label': 'Nodes' }, String(c.size)))))));
  }
  return poll(refresh, 1000);
}

// faults lists the simulator's fault tags as the server describes them.
let faultsPromise = null;
function faults() {
  faultsPromise ??= fetch('faults.json').then((r) => r.json()).catch(() => []);
  return faultsPromise;
}

function createForm(onCreated) {
  const out = h('div', { class: 'form-out' });
  const version = h('select', { name: 'kubernetes_version', id: 'create-version' });
  const faultBox = h('fieldset', { class: 'faults' }, h('legend', {}, 'Simulator faults (cluster tags)'));
  const form = h('form', { class: 'card', id: 'create-form', onsubmit: async (ev) => {
    ev.preventDefault();
    const fd = new FormData(form);
    const tags = [];
    for (const box of form.querySelectorAll('input[data-fault]:checked')) {
      tags.push({ key: box.dataset.fault, value: form.querySelector(`input[data-fault-value="${box.dataset.fault}"]`).value });
    }
    const body = {
      name: fd.get('name'), region_id: fd.get('region_id'), cluster_type: 'ManagedKubernetes',
      kubernetes_version: fd.get('kubernetes_version') || undefined,
      nodepools: [{ nodepool_info: { name: 'default-nodepool' },
        scaling_group: { desired_size: Number(fd.get('size')), instance_types: ['ecs.g7.xlarge'] } }],
      tags,
    };
    replace(out, h('p', { class: 'muted' }, 'Creating…'));
    try {
      const r = await call('CreateCluster', { body });
      replace(out, h('p', { class: 'ok' }, 'Created ', h('a', { href: `#/clusters/${r.cluster_id}` }, r.cluster_id),
        ` (task ${r.task_id}).`));
      form.elements.name.value = '';
      onCreated();
    } catch (e) {
      replace(out, errorView(e));
    }
  } },
  h('div', { class: 'grid' },
    h('label', {}, 'Name', h('input', { name: 'name', id: 'create-name', required: true, pattern: '[A-Za-z0-9_][A-Za-z0-9_\\-]{0,62}',
      placeholder: 'demo', autocomplete: 'off' })),
    h('label', {}, 'Region', h('input', { name: 'region_id', value: 'cn-hangzhou', required: true })),
    h('label', {}, 'Kubernetes version', version),
    h('label', {}, 'Nodes', h('input', { name: 'size', type: 'number', min: 0, max: 100, value: 3, required: true }))),
  faultBox,
  h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary', id: 'create-submit' }, 'Create')),
  out);

  call('DescribeKubernetesVersionMetadata', { query: { Region: 'cn-hangzhou', ClusterType: 'ManagedKubernetes', Mode: 'creatable' } })
    .then((versions) => {
      const names = versions.map((v) => v.version);
      replace(version, names.map((v, i) => h('option', { value: v, selected: i === 0 }, v)));
    })
    .catch((e) => replace(out, errorView(e)));
  faults().then((list) => {
    for (const f of list) {
      faultBox.append(h('div', { class: 'fault' },
        h('label', { class: 'check' }, h('input', { type: 'checkbox', 'data-fault': f.key }), h('code', {}, f.key)),
        h('input', { type: 'text', 'data-fault-value': f.key, value: f.example, 'aria-label': `${f.key} value` }),
        h('div', { class: 'muted small' }, f.description)));
    }
  });
  return form;
}
