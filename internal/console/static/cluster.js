// A cluster's page: its upgrade (progress, stage, ETA, what blocks it),
// the actions (precheck, upgrade, pause, resume, cancel), node pools and
// nodes, and the task's stages and events as a timeline.

import { call } from './api.js';
import { errorView } from './errors.js';
import { progressCell } from './fleet.js';
import { ackTime, allNodes, describe, latestTask, stageName } from './progress.js';
import { h, poll, replace } from './ui.js';

const LEGACY_STATUS = { running: 'running', pause: 'paused', success: 'succeeded', fail: 'failed or canceled' };

export function clusterPage(root, clusterId) {
  const title = h('h1', {}, clusterId);
  const summary = h('dl', { class: 'summary' });
  const progress = h('div', { class: 'upgrade-progress', id: 'upgrade-progress' });
  const message = h('p', { class: 'task-message', id: 'task-message' });
  const blocker = h('div', { id: 'blocker' });
  const actionOut = h('div', { id: 'action-out' });
  const pools = h('div', { class: 'table-wrap' });
  const nodes = h('div', { class: 'table-wrap' });
  const timeline = h('div', { class: 'timeline', id: 'timeline' });
  const report = h('div', { id: 'precheck-report' });
  const status = h('div');

  const target = h('select', { id: 'upgrade-target', 'aria-label': 'target version' });
  const masterOnly = h('input', { type: 'checkbox', id: 'master-only' });
  const btn = (id, label, fn, cls = '') => h('button', { type: 'button', id, class: cls, disabled: true,
    onclick: () => act(label, fn) }, label);
  const buttons = {
    upgrade: btn('btn-upgrade', 'Start upgrade', () => call('UpgradeCluster', { path: { ClusterId: clusterId },
      body: { next_version: target.value, master_only: masterOnly.checked } }), 'primary'),
    precheck: btn('btn-precheck', 'Run precheck', runPrecheck),
    pause: btn('btn-pause', 'Pause', () => call('PauseTask', { path: { task_id: state.task.task_id } })),
    resume: btn('btn-resume', 'Resume', () => call('ResumeTask', { path: { task_id: state.task.task_id } })),
    // ResumeTask on a failed upgrade retries it from the step that failed.
    retry: btn('btn-retry', 'Retry', () => call('ResumeTask', { path: { task_id: state.task.task_id } }), 'primary'),
    cancel: btn('btn-cancel', 'Cancel', () => call('CancelTask', { path: { task_id: state.task.task_id } }), 'danger'),
  };

  replace(root,
    h('nav', { class: 'crumbs' }, h('a', { href: '#/' }, 'Clusters'), ' › ', title),
    status,
    h('section', { class: 'card' }, summary),
    h('section', { class: 'card' },
      h('h2', {}, 'Upgrade'), progress, message, blocker,
      h('div', { class: 'actions' },
        h('label', {}, 'Target ', target),
        h('label', { class: 'check' }, masterOnly, 'Control plane only'),
        buttons.upgrade, buttons.precheck),
      h('div', { class: 'actions' }, buttons.pause, buttons.resume, buttons.retry, buttons.cancel),
      actionOut, report),
    h('section', { class: 'card' }, h('h2', {}, 'Node pools'), pools),
    h('section', { class: 'card' }, h('h2', {}, 'Nodes'), nodes),
    h('section', { class: 'card' }, h('h2', {}, 'Timeline'), timeline));

  const state = { cluster: null, task: null, targetsFor: null, checkId: null, check: null };

  async function act(label, fn) {
    replace(actionOut, h('p', { class: 'muted' }, `${label}…`));
    try {
      const r = await fn();
      replace(actionOut, h('p', { class: 'ok' }, `${label}: done${r && r.task_id ? ` (task ${r.task_id})` : ''}.`));
    } catch (e) {
      replace(actionOut, errorView(e));
    }
    refresh();
  }

  async function runPrecheck() {
    const r = await call('RunClusterCheck', { path: { cluster_id: clusterId },
      body: { type: 'ClusterUpgrade', target: clusterId, options: { targetVersion: target.value } } });
    state.checkId = r.check_id;
    state.check = null;
    return r;
  }

  async function loadTargets(version) {
    if (state.targetsFor === version) return;
    state.targetsFor = version;
    const list = await call('DescribeKubernetesVersionMetadata', { query: { Region: state.cluster.region_id || 'cn-hangzhou',
      ClusterType: state.cluster.cluster_type || 'ManagedKubernetes', KubernetesVersion: version, QueryUpgradableVersion: 'true' } });
    const legal = (list[0] && list[0].upgradable_versions) || [];
    replace(target, legal.length ? legal.map((v, i) => h('option', { value: v, selected: i === legal.length - 1 }, v))
      : h('option', { value: '' }, 'none: already at the newest version'));
  }

  async function refresh() {
    let cluster, legacy, task, rawNodes, poolBody;
    try {
      [cluster, legacy, task, rawNodes, poolBody] = await Promise.all([
        call('DescribeClusterDetail', { path: { ClusterId: clusterId } }),
        call('GetUpgradeStatus', { path: { ClusterId: clusterId } }),
        latestTask(clusterId),
        allNodes(clusterId),
        call('DescribeClusterNodePools', { path: { ClusterId: clusterId } }),
      ]);
      if (state.checkId && (!state.check || state.check.status === 'Running')) {
        state.check = await call('GetClusterCheck', { path: { cluster_id: clusterId, check_id: state.checkId } });
      }
      replace(status);
    } catch (e) {
      replace(status, errorView(e));
      return;
    }
    state.cluster = cluster;
    state.task = task;
    const p = describe(cluster, task, rawNodes);
    render(cluster, legacy, p, poolBody.nodepools || []);
    await loadTargets(cluster.current_version).catch((e) => replace(actionOut, errorView(e)));
  }

  function render(cluster, legacy, p, poolList) {
    title.textContent = cluster.name;
    document.title = `${cluster.name} · ackup`;
    replace(summary,
      h('dt', {}, 'Cluster id'), h('dd', {}, h('code', {}, cluster.cluster_id)),
      h('dt', {}, 'Version'), h('dd', { id: 'cluster-version' }, cluster.current_version),
      h('dt', {}, 'State'), h('dd', {}, h('span', { class: `badge state-${cluster.state}`, id: 'cluster-state' }, cluster.state)),
      h('dt', {}, 'Region'), h('dd', {}, cluster.region_id),
      h('dt', {}, 'Nodes'), h('dd', {}, String(cluster.size)),
      h('dt', {}, 'Old view (GetUpgradeStatus)'),
      h('dd', {}, legacy.status ? `${LEGACY_STATUS[legacy.status] || legacy.status}, step ${legacy.upgrade_step}` : 'never upgraded'));

    replace(progress, p.isUpgrade ? [
      progressCell(p),
      h('p', { class: 'muted small' }, `Task ${p.task.task_id}: ${p.task.task_type} to ${p.target}, ${p.state}`,
        p.stage ? `, stage ${stageName(p.stage)}` : ''),
    ] : h('p', { class: 'muted' }, 'No upgrade has run on this cluster yet.'));
    renderBlocker(p, legacy);
    // The blocker box says it better than the progress line when present.
    replace(message, p.isUpgrade && !p.blocker && legacy.upgrade_task ? legacy.upgrade_task.message : '');

    const t = p.task;
    const running = t && p.isUpgrade && t.state === 'running';
    buttons.upgrade.disabled = cluster.state !== 'running' || !target.value;
    buttons.precheck.disabled = cluster.state !== 'running' || !target.value;
    buttons.pause.disabled = !running;
    buttons.resume.disabled = !(t && p.isUpgrade && t.state === 'paused');
    const failed = t && p.isUpgrade && t.state === 'failed';
    buttons.retry.disabled = !failed;
    buttons.retry.hidden = !failed;
    buttons.cancel.disabled = !(t && p.isUpgrade && (p.active || failed));

    replace(pools, poolTable(poolList, p.nodes));
    replace(nodes, nodeTable(p.nodes, poolList));
    replace(timeline, timelineView(t));
    if (state.check) replace(report, checkReport(state.check));
  }

  // renderBlocker says in plain words why the upgrade is not moving.
  function renderBlocker(p, legacy) {
    const t = p.task;
    let box = null;
    if (p.isUpgrade && p.blocker) {
      box = h('div', { class: 'blocker', role: 'status' }, h('strong', {}, 'Blocked: '), p.blocker,
        h('p', { class: 'small' }, 'The upgrade waits and retries on its own; once the block clears it continues. You can also pause or cancel it.'));
    } else if (p.isUpgrade && t.state === 'paused') {
      box = h('div', { class: 'blocker', role: 'status' }, h('strong', {}, 'Paused. '),
        'Nodes already in flight finish; no new node starts until you resume.');
    } else if (p.isUpgrade && (t.state === 'failed' || t.state === 'canceled')) {
      const msg = (t.error && t.error.message) || legacy.error_message;
      box = h('div', { class: 'blocker failed', role: 'status' },
        h('strong', {}, t.state === 'failed' ? 'The upgrade failed: ' : 'The upgrade was canceled: '), msg,
        t.error && t.error.code ? h('span', { class: 'muted small' }, ` (${t.error.code})`) : '',
        t.state === 'failed' ? h('p', { class: 'small' },
          'Fix the cause, then Retry: the upgrade goes on from the step that failed, and nodes already upgraded stay upgraded. Or Cancel it.') : '');
    }
    replace(blocker, box);
  }

  return poll(refresh, 1000);
}

function yes(v) {
  return v ? h('span', { class: 'yes' }, 'yes') : h('span', { class: 'muted' }, 'no');
}

function poolTable(poolList, nodes) {
  if (poolList.length === 0) return h('p', { class: 'muted' }, 'No node pools.');
  return h('table', {},
    h('thead', {}, h('tr', {}, ['Name', 'State', 'Nodes', 'Healthy', 'Versions'].map((c) => h('th', {}, c)))),
    h('tbody', {}, poolList.map((np) => {
      const id = np.nodepool_info.nodepool_id;
      const versions = [...new Set(nodes.filter((n) => n.pool === id).map((n) => n.version))].sort();
      return h('tr', {},
        h('td', { 'data-label': 'Name' }, np.nodepool_info.name, h('div', { class: 'muted small' }, id)),
        h('td', { 'data-label': 'State' }, h('span', { class: `badge state-${np.status.state}` }, np.status.state)),
        h('td', { 'data-label': 'Nodes' }, String(np.status.total_nodes)),
        h('td', { 'data-label': 'Healthy' }, String(np.status.healthy_nodes)),
        h('td', { 'data-label': 'Versions' }, versions.join(', ') || '—'));
    })));
}

function nodeTable(nodes, poolList) {
  if (nodes.length === 0) return h('p', { class: 'muted' }, 'No nodes.');
  const poolName = new Map(poolList.map((np) => [np.nodepool_info.nodepool_id, np.nodepool_info.name]));
  return h('table', { class: 'nodes' },
    h('thead', {}, h('tr', {}, ['Node', 'Pool', 'Version', 'Ready', 'Cordoned', 'Upgrading', 'Step'].map((c) => h('th', {}, c)))),
    h('tbody', {}, nodes.map((n) => h('tr', { 'data-node': n.name, class: n.upgrading ? 'active' : '' },
      h('td', { 'data-label': 'Node' }, n.name),
      h('td', { 'data-label': 'Pool' }, poolName.get(n.pool) || n.pool),
      h('td', { 'data-label': 'Version' }, n.version),
      h('td', { 'data-label': 'Ready' }, n.ready ? h('span', { class: 'yes' }, 'Ready') : h('span', { class: 'no' }, n.status || 'NotReady')),
      h('td', { 'data-label': 'Cordoned' }, yes(n.cordoned)),
      h('td', { 'data-label': 'Upgrading' }, yes(n.upgrading)),
      h('td', { 'data-label': 'Step' }, n.blocker ? h('span', { class: 'no' }, n.step) : n.step || '—')))));
}

function clock(d) {
  return d ? d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' }) : '';
}

// timelineView lists the task's stages, then its events, newest first.
function timelineView(t) {
  if (!t) return h('p', { class: 'muted' }, 'No tasks yet.');
  const events = [...(t.events || [])].sort((a, b) => Number(b.timestamp) - Number(a.timestamp));
  return [
    h('p', { class: 'muted small' }, `${t.task_type} ${t.task_id}, ${t.state}`),
    h('ol', { class: 'stages' }, (t.stages || []).map((s) => h('li', { class: `stage state-${s.state}` },
      h('span', { class: 'badge' }, s.state), ' ', stageName(s.message) || s.message,
      h('span', { class: 'muted small' }, ` ${clock(ackTime(s.start_time))}${s.end_time ? ' – ' + clock(ackTime(s.end_time)) : ''}`)))),
    h('ol', { class: 'events' }, events.slice(0, 100).map((e) => h('li', { class: `level-${e.level}` },
      h('time', {}, clock(ackTime(e.timestamp))), ' ',
      h('span', { class: 'reason' }, e.reason), ' ', e.message))),
  ];
}

function checkReport(c) {
  const groups = Object.entries(c.check_items || {});
  return h('div', { class: 'report', 'data-status': c.status },
    h('h3', {}, `Precheck ${c.status}`),
    h('p', { class: 'muted small' }, c.check_id),
    c.message ? h('p', {}, c.message) : null,
    groups.map(([category, items]) => h('div', {},
      h('h4', {}, category),
      h('ul', { class: 'check-items' }, items.map((it) => h('li', { class: `check-${String(it.status).toLowerCase()}` },
        h('span', { class: 'badge' }, it.status), ' ', h('strong', {}, it.name), ': ', it.message,
        it.description ? h('div', { class: 'muted small' }, it.description) : null,
        it.objects && it.objects.length ? h('div', { class: 'small' }, it.objects.join(', ')) : null))))));
}
