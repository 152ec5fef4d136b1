// What an upgrade looks like from the outside: which task, which stage,
// how many nodes are done, how long is left and what blocks it, read from
// the same public operations any client has (DescribeClusterTasks,
// DescribeTaskInfo, DescribeClusterNodes).
//
// ackup's DescribeTaskInfo carries the extension ackup_progress (counts,
// each started node's step, the blocker) and its DescribeClusterNodes
// kubelet_version, unschedulable and upgrading: the console reads those
// fields and never the events' messages, which are for people. From a
// server without them it shows the task's state and the nodes as listed.

import { call } from './api.js';
import { DOMAIN } from './domain.js';

const UPGRADE_TYPES = new Set(Object.values(DOMAIN.taskTypes));

export const STAGE_NAMES = {
  [DOMAIN.stages.precheck]: 'Precheck',
  [DOMAIN.stages.controlPlane]: 'Control plane',
  [DOMAIN.stages.nodePools]: 'Node pools',
  [DOMAIN.stages.createCluster]: 'Creating',
};

export function stageName(stage) {
  return STAGE_NAMES[stage] || stage || '';
}

// How each node step reads, and what it says of the node's flags.
const STEPS = DOMAIN.nodeSteps;
const NODE_STEPS = {
  [STEPS.cordon]: { cordoned: true, upgrading: true, step: 'cordoning' },
  [STEPS.drain]: { cordoned: true, upgrading: true, step: 'draining' },
  [STEPS.upgrade]: { cordoned: true, upgrading: true, step: 'upgrading' },
  [STEPS.ready]: { cordoned: true, upgrading: true, step: 'waiting for Ready' },
  [STEPS.uncordon]: { cordoned: true, upgrading: true, step: 'uncordoning' },
  [STEPS.done]: { cordoned: false, upgrading: false, step: 'done' },
  [STEPS.skipped]: { cordoned: false, upgrading: false, step: 'skipped' },
};

// ackTime parses ACK's times: RFC 3339, "2006-01-02 15:04:05" (UTC) or
// epoch milliseconds in a string.
export function ackTime(v) {
  if (!v) return null;
  if (/^\d+$/.test(v)) return new Date(Number(v));
  const d = new Date(/^\d{4}-\d\d-\d\d \d/.test(v) ? v.replace(' ', 'T') + 'Z' : v);
  return Number.isNaN(d.getTime()) ? null : d;
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
  const progress = (isUpgrade && task.ackup_progress) || null;
  const state = task ? task.state : '';
  const active = state === DOMAIN.taskStates.running || state === DOMAIN.taskStates.paused;
  const steps = new Map(((progress && progress.nodes) || []).map((n) => [n.node, n.step]));
  const blocked = active && progress && progress.blocker ? progress.blocker : null;
  const succeeded = isUpgrade && state === DOMAIN.taskStates.success && !params.master_only;

  const nodes = rawNodes.map((n) => {
    const step = steps.get(n.node_name) || '';
    const fx = NODE_STEPS[step] || {};
    const node = {
      name: n.node_name,
      pool: n.nodepool_id,
      ip: (n.ip_address || [])[0] || '',
      ready: n.node_status === 'Ready',
      status: n.node_status,
      version: n.kubelet_version || (step === STEPS.done || succeeded ? target : cluster.current_version),
      cordoned: n.unschedulable ?? fx.cordoned ?? false,
      upgrading: n.upgrading ?? fx.upgrading ?? false,
      step: fx.step || '',
      blocker: '',
      touched: steps.has(n.node_name),
    };
    if (blocked && blocked.node === node.name) {
      node.step = 'drain blocked';
      node.blocker = blocked.message;
    }
    return node;
  });
  let total = 0;
  let upgraded = 0;
  if (progress) {
    total = progress.nodes_total;
    upgraded = progress.nodes_done;
  } else if (isUpgrade && !params.master_only) {
    const scope = params.nodepool_id ? nodes.filter((n) => n.pool === params.nodepool_id) : nodes;
    total = scope.length;
    upgraded = target ? scope.filter((n) => n.version === target && !n.upgrading).length : 0;
  }

  let eta = null;
  const starts = ((progress && progress.pools) || []).map((p) => ackTime(p.started)).filter(Boolean);
  if (isUpgrade && state === DOMAIN.taskStates.running && upgraded > 0 && upgraded < total && starts.length) {
    const first = Math.min(...starts.map((d) => d.getTime()));
    const perNode = (now - first) / 1000 / upgraded;
    eta = perNode * (total - upgraded);
  }
  return {
    task, isUpgrade, target, state, active, nodes, upgraded, total, eta,
    blocker: blocked ? blocked.message : '',
    stage: task ? task.current_stage : '',
    fraction: state === DOMAIN.taskStates.success ? 1 : total ? upgraded / total : 0,
  };
}
