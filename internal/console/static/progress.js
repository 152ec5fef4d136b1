// What an upgrade looks like from the outside: which task, which stage,
// how many nodes are done, how long is left and what blocks it, read from
// the same public operations any client has (DescribeClusterTasks,
// DescribeTaskInfo, DescribeClusterNodes).
//
// ACK's DescribeClusterNodes carries no kubelet version and no cordon
// flag. When a server adds them (kubelet_version, unschedulable,
// upgrading) they are used as they are; otherwise they are followed from
// the upgrade task's events, whose reasons (NodeCordoned, NodeUpgraded,
// NodeUncordoned, ...) name each step of each node.

import { call } from './api.js';

const UPGRADE_TYPES = new Set(['cluster_upgrade', 'nodepool_upgrade']);

export const STAGE_NAMES = {
  Precheck: 'Precheck',
  UpgradeControlPlane: 'Control plane',
  UpgradeNodePools: 'Node pools',
  CreateCluster: 'Creating',
};

export function stageName(stage) {
  return STAGE_NAMES[stage] || stage || '';
}

// Per-node effects of the engine's event reasons.
const NODE_EVENTS = {
  NodeCordoned: { cordoned: true, upgrading: true, step: 'cordoned' },
  NodeDrainStart: { step: 'draining' },
  NodeDrainBlocked: { step: 'drain blocked' },
  NodeDrained: { step: 'drained', blocker: '' },
  NodeUpgradeStart: { step: 'upgrading', ready: false },
  NodeUpgraded: { step: 'upgraded' },
  NodeReady: { step: 'ready', ready: true, blocker: '' },
  NodeUncordoned: { cordoned: false, upgrading: false, step: 'done', blocker: '' },
  NodeSkipped: { cordoned: false, upgrading: false, step: 'skipped' },
};

// ackTime parses ACK's times: RFC 3339, "2006-01-02 15:04:05" (UTC) or
// epoch milliseconds in a string.
export function ackTime(v) {
  if (!v) return null;
  if (/^\d+$/.test(v)) return new Date(Number(v));
  const d = new Date(/^\d{4}-\d\d-\d\d \d/.test(v) ? v.replace(' ', 'T') + 'Z' : v);
  return Number.isNaN(d.getTime()) ? null : d;
}

// nodeIn finds which of the named nodes a message is about.
function nodeIn(message, names) {
  let best = null;
  for (const name of names) {
    const i = message.indexOf(name);
    if (i < 0) continue;
    const after = message.slice(i + name.length, i + name.length + 2);
    if (/^([0-9A-Za-z-]|\.\d)/.test(after)) continue; // a longer name
    if (!best || name.length > best.length) best = name;
  }
  return best;
}

// latestUpgradeTask answers the cluster's running or paused upgrade task,
// else its newest upgrade task, else its newest task (or null).
export async function latestTask(clusterId) {
  const { tasks = [] } = await call('DescribeClusterTasks', { path: { cluster_id: clusterId }, query: { page_size: 20 } });
  const upgrades = tasks.filter((t) => UPGRADE_TYPES.has(t.task_type));
  const active = upgrades.find((t) => t.state === 'running' || t.state === 'paused');
  const pick = active || upgrades[0] || tasks[0];
  return pick ? call('DescribeTaskInfo', { path: { task_id: pick.task_id } }) : null;
}

// allNodes pages through DescribeClusterNodes (100 a page, at most 20 pages).
export async function allNodes(clusterId) {
  const nodes = [];
  for (let page = 1; page <= 20; page++) {
    const r = await call('DescribeClusterNodes', { path: { ClusterId: clusterId }, query: { pageNumber: page, pageSize: 100 } });
    nodes.push(...(r.nodes || []));
    if (!r.nodes || r.nodes.length < 100 || nodes.length >= (r.page?.total_count ?? 0)) break;
  }
  return nodes;
}

// describe combines a cluster, its latest task and its nodes into the
// upgrade's picture. cluster is a DescribeClusterDetail body.
export function describe(cluster, task, rawNodes, now = new Date()) {
  const isUpgrade = task && UPGRADE_TYPES.has(task.task_type);
  const params = (task && task.parameters) || {};
  const target = isUpgrade ? params.target_version || params.next_version || params.kubernetes_version || '' : '';
  const events = [...((task && task.events) || [])].sort((a, b) => Number(a.timestamp) - Number(b.timestamp));

  // Baseline node version: the control plane's version before this task.
  let baseline = cluster.current_version;
  for (const e of events) {
    const m = e.reason === 'ControlPlaneUpgradeStart' && /from (\S+) to/.exec(e.message);
    if (m) baseline = m[1];
  }
  if (isUpgrade && task.state === 'success' && !params.master_only) baseline = target;

  const names = rawNodes.map((n) => n.node_name);
  const byName = new Map(rawNodes.map((n) => [n.node_name, {
    name: n.node_name,
    pool: n.nodepool_id,
    ip: (n.ip_address || [])[0] || '',
    ready: n.node_status === 'Ready',
    status: n.node_status,
    version: n.kubelet_version || baseline,
    cordoned: n.unschedulable ?? false,
    upgrading: n.upgrading ?? false,
    step: '',
    blocker: '',
    touched: false,
  }]));
  const hasFlags = rawNodes.some((n) => 'unschedulable' in n);
  let firstNodeEvent = null;
  let lastBlocker = null;
  if (isUpgrade) {
    for (const e of events) {
      const fx = NODE_EVENTS[e.reason];
      if (!fx) continue;
      const node = byName.get(nodeIn(e.message, names));
      if (!node) continue;
      firstNodeEvent ??= ackTime(e.timestamp);
      node.touched = true;
      node.step = fx.step;
      if (!hasFlags) {
        if ('cordoned' in fx) node.cordoned = fx.cordoned;
        if ('upgrading' in fx) node.upgrading = fx.upgrading;
      }
      if ('blocker' in fx) node.blocker = fx.blocker;
      if (e.reason === 'NodeDrainBlocked') { node.blocker = e.message; lastBlocker = node; }
      const m = e.reason === 'NodeUpgraded' && / to (\S+)$/.exec(e.message);
      if (m && !rawNodes[0]?.kubelet_version) node.version = m[1];
    }
  }
  const nodes = [...byName.values()];
  const scope = isUpgrade && params.nodepool_id ? nodes.filter((n) => n.pool === params.nodepool_id) : nodes;
  const total = isUpgrade && params.master_only ? 0 : scope.length;
  const upgraded = target ? scope.filter((n) => n.version === target && !n.upgrading).length : 0;

  const state = task ? task.state : '';
  const active = state === 'running' || state === 'paused';
  let eta = null;
  if (isUpgrade && state === 'running' && upgraded > 0 && upgraded < total && firstNodeEvent) {
    const perNode = (now - firstNodeEvent) / 1000 / upgraded;
    eta = perNode * (total - upgraded);
  }
  let blocker = '';
  if (active && lastBlocker && lastBlocker.blocker) blocker = lastBlocker.blocker;
  return {
    task, isUpgrade, target, state, active, nodes, upgraded, total, eta, blocker,
    stage: task ? task.current_stage : '',
    fraction: state === 'success' ? 1 : total ? upgraded / total : 0,
  };
}
