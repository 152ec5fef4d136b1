// The explorer's Code tab: the same call as a Go program on the official
// SDK (cs-20151215/v7), as Node.js on @alicloud/cs20151215, and as an
// ackup CLI command.

// Where the SDK's request field has another type than the wire parameter
// the API describes (ACK sends these page numbers as strings, and
// DeleteCluster's lists JSON-encoded in the query).
const SDK_TYPES = {
  DescribeClusterNodes: { pageNumber: 'string', pageSize: 'string' },
  DeleteCluster: { retain_resources: 'json', delete_options: 'json' },
};

// sdkValue converts an explorer value to the JSON type of the SDK's field.
function sdkValue(opName, param, value) {
  const t = (SDK_TYPES[opName] || {})[param.name] || param.type;
  switch (t) {
    case 'integer': return Number(value);
    case 'boolean': return value === true || value === 'true';
    case 'string': return String(value);
    case 'json':
    case 'array':
    case 'object':
      return typeof value === 'string' ? JSON.parse(value) : value;
    default: return value;
  }
}

// requestFields merges the query arguments and the body into the object
// whose JSON the SDK request struct is decoded from (its json tags are the
// wire names).
export function requestFields(op, args) {
  const fields = {};
  for (const p of op.params.filter((x) => x.in === 'query')) {
    const v = (args.query || {})[p.name];
    if (v !== undefined && v !== '') fields[p.name] = sdkValue(op.name, p, v);
  }
  return { ...fields, ...(args.body || {}) };
}

function hasRequest(op) {
  return op.params.some((p) => p.in === 'query' || p.in === 'body');
}

function pathArgs(op) {
  return [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
}

const goString = (s) => JSON.stringify(String(s));

// goRawString quotes s as a Go raw string when it has no backquote.
function goRawString(s) {
  return s.includes('`') ? JSON.stringify(s) : '`' + s + '`';
}

// ackup's own operations (under /api/ackup/, such as RegisterCluster) have
// no method in the SDK: the snippets call them through its generic CallApi,
// described as the SDK describes its ROA operations, so that they are
// signed like every other call.
const isExtension = (op) => op.path.startsWith('/api/ackup/');

// extensionPath is the operation's path with its path arguments escaped.
function extensionPath(op, args) {
  return op.path.replace(/\{(\w+)\}/g, (_, n) => encodeURIComponent(String((args.path || {})[n] ?? '')));
}

function extensionQuery(op, args) {
  const q = {};
  for (const p of op.params.filter((x) => x.in === 'query')) {
    const v = (args.query || {})[p.name];
    if (v !== undefined && v !== '') q[p.name] = String(v);
  }
  return q;
}

// goExtensionCall is the CallApi part of goSnippet for an extension.
function goExtensionCall(op, args) {
  const query = Object.entries(extensionQuery(op, args))
    .map(([k, v]) => `\t\t${goString(k)}: dara.String(${goString(v)}),\n`).join('');
  return `\tbody := map[string]any{}
\tif err := json.Unmarshal([]byte(${goRawString(JSON.stringify(args.body || {}))}), &body); err != nil {
\t\tlog.Fatal(err)
\t}
\tresp, err := client.CallApi(&openapiutil.Params{
\t\tAction: dara.String(${goString(op.name)}), Version: dara.String("2015-12-15"), Protocol: dara.String("HTTPS"),
\t\tPathname: dara.String(${goString(extensionPath(op, args))}), Method: dara.String(${goString(op.method)}),
\t\tAuthType: dara.String("AK"), Style: dara.String("ROA"), ReqBodyType: dara.String("json"), BodyType: dara.String("json"),
\t}, &openapiutil.OpenApiRequest{Body: body, Query: map[string]*string{
${query}\t}}, &dara.RuntimeOptions{})
\tif err != nil {
\t\tlog.Fatal(err)
\t}
\tout, err := json.MarshalIndent(resp["body"], "", "  ")
\tif err != nil {
\t\tlog.Fatal(err)
\t}
\tfmt.Println(string(out))
`;
}

// goSnippet is a complete program: go run it with the AccessKey pair in
// ALIBABA_CLOUD_ACCESS_KEY_ID / ALIBABA_CLOUD_ACCESS_KEY_SECRET.
export function goSnippet(op, args, endpoint) {
  const extension = isExtension(op);
  const argList = pathArgs(op).map((n) => `dara.String(${goString((args.path || {})[n] ?? '')})`);
  let request = '';
  if (hasRequest(op)) {
    const json = JSON.stringify(requestFields(op, args));
    request = `\trequest := &cs.${op.name}Request{}
\tif err := json.Unmarshal([]byte(${goRawString(json)}), request); err != nil {
\t\tlog.Fatal(err)
\t}
`;
    argList.push('request');
  }
  const print = op.bodyType === 'none'
    ? '\tfmt.Println("HTTP status", dara.Int32Value(resp.StatusCode))\n'
    : '\tout, err := json.MarshalIndent(resp.Body, "", "  ")\n\tif err != nil {\n\t\tlog.Fatal(err)\n\t}\n\tfmt.Println(string(out))\n';
  const usesJSON = extension || request !== '' || op.bodyType !== 'none';
  const call = extension ? goExtensionCall(op, args)
    : `${request}\tresp, err := client.${op.name}(${argList.join(', ')})
\tif err != nil {
\t\tlog.Fatal(err)
\t}
${print}`;
  return `// ${op.name}: ${op.doc}
// Run with the AccessKey pair in the environment:
//   ALIBABA_CLOUD_ACCESS_KEY_ID=... ALIBABA_CLOUD_ACCESS_KEY_SECRET=... go run .
package main

import (
${usesJSON ? '\t"encoding/json"\n' : ''}	"fmt"
	"log"
	"os"

	cs "github.com/alibabacloud-go/cs-20151215/v7/client"
	openapiutil "github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	"github.com/alibabacloud-go/tea/dara"
)

func main() {
	client, err := cs.NewClient(&openapiutil.Config{
		AccessKeyId:     dara.String(os.Getenv("ALIBABA_CLOUD_ACCESS_KEY_ID")),
		AccessKeySecret: dara.String(os.Getenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET")),
		Endpoint:        dara.String(${goString(endpoint)}),
		Protocol:        dara.String("http"),
	})
	if err != nil {
		log.Fatal(err)
	}
${call}}
`;
}

// nodeExtensionSnippet calls an ackup extension through the Node.js SDK's
// generic callApi.
function nodeExtensionSnippet(op, args, endpoint) {
  return `// ${op.name}: npm install @alicloud/cs20151215 @alicloud/openapi-client @alicloud/tea-util
const CS = require('@alicloud/cs20151215');
const { Config, Params, OpenApiRequest } = require('@alicloud/openapi-client');
const { RuntimeOptions } = require('@alicloud/tea-util');

async function main() {
  const client = new CS.default(new Config({
    accessKeyId: process.env.ALIBABA_CLOUD_ACCESS_KEY_ID,
    accessKeySecret: process.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET,
    endpoint: ${JSON.stringify(endpoint)},
    protocol: 'http',
  }));
  const params = new Params({
    action: ${JSON.stringify(op.name)}, version: '2015-12-15', protocol: 'HTTPS',
    pathname: ${JSON.stringify(extensionPath(op, args))}, method: ${JSON.stringify(op.method)},
    authType: 'AK', style: 'ROA', reqBodyType: 'json', bodyType: 'json',
  });
  const request = new OpenApiRequest({ body: ${JSON.stringify(args.body || {})}, query: ${JSON.stringify(extensionQuery(op, args))} });
  const resp = await client.callApi(params, request, new RuntimeOptions({}));
  console.log(JSON.stringify(resp.body, null, 2));
}

main().catch((err) => { console.error(err.message); process.exit(1); });
`;
}

const lowerFirst = (s) => s.charAt(0).toLowerCase() + s.slice(1);

// jsName is the Node SDK's field name for a wire name: lower camel case of
// the Go field (page_size -> pageSize, NodepoolName -> nodepoolName).
function jsName(wire) {
  return lowerFirst(wire.replace(/(^|_)([a-z0-9])/gi, (_, __, c) => c.toUpperCase()));
}

function jsValue(v, indent) {
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const pad = '  '.repeat(indent + 1);
    const inner = Object.entries(v).map(([k, x]) => `${pad}${jsName(k)}: ${jsValue(x, indent + 1)},`);
    return `{\n${inner.join('\n')}\n${'  '.repeat(indent)}}`;
  }
  if (Array.isArray(v)) return `[${v.map((x) => jsValue(x, indent)).join(', ')}]`;
  return JSON.stringify(v);
}

// nodeSnippet is the same call with the Node.js SDK.
export function nodeSnippet(op, args, endpoint) {
  if (isExtension(op)) return nodeExtensionSnippet(op, args, endpoint);
  const argList = pathArgs(op).map((n) => JSON.stringify(String((args.path || {})[n] ?? '')));
  let request = '';
  if (hasRequest(op)) {
    request = `  const request = new CS.${op.name}Request(${jsValue(requestFields(op, args), 1)});\n`;
    argList.push('request');
  }
  const print = op.bodyType === 'none' ? "  console.log('HTTP status', resp.statusCode);\n"
    : '  console.log(JSON.stringify(resp.body, null, 2));\n';
  return `// ${op.name}: npm install @alicloud/cs20151215 @alicloud/openapi-client
const CS = require('@alicloud/cs20151215');
const { Config } = require('@alicloud/openapi-client');

async function main() {
  const client = new CS.default(new Config({
    accessKeyId: process.env.ALIBABA_CLOUD_ACCESS_KEY_ID,
    accessKeySecret: process.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET,
    endpoint: ${JSON.stringify(endpoint)},
    protocol: 'http',
  }));
${request}  const resp = await client.${lowerFirst(op.name)}(${argList.join(', ')});
${print}}

main().catch((err) => { console.error(err.message); process.exit(1); });
`;
}

// The ackup CLI's command for each operation, built from the call's
// arguments. An operation with no command of its own names the nearest one
// in a comment.
const opt = (flag, v) => (v === undefined || v === null || v === '' ? [] : [flag, String(v)]);
const CLI = {
  DescribeClustersV1: (a) => ['cluster', 'list', ...opt('--name', a.query.name)],
  DescribeClusterDetail: (a) => ['cluster', 'show', a.path.ClusterId],
  CreateCluster: (a) => ['cluster', 'create', '--name', a.body?.name ?? 'NAME',
    ...opt('--version', a.body?.kubernetes_version),
    ...opt('--nodes', a.body?.nodepools?.[0]?.scaling_group?.desired_size ?? a.body?.num_of_nodes),
    ...(a.body?.tags || []).flatMap((t) => (String(t.key).startsWith('ackup.sim/')
      ? ['--fault', `${t.key.slice('ackup.sim/'.length)}=${t.value}`] : ['--tag', `${t.key}=${t.value}`]))],
  DeleteCluster: (a) => ['cluster', 'delete', a.path.ClusterId],
  RegisterCluster: (a) => ['cluster', 'register', '--name', a.body?.name ?? 'NAME', '--kubeconfig', 'KUBECONFIG_FILE',
    ...opt('--pool-label', a.body?.kubernetes?.pool_label),
    ...opt('--control-plane-version-from', a.body?.kubernetes?.control_plane_version_from),
    ...opt('--drain-timeout', a.body?.kubernetes?.drain_timeout),
    ...opt('--drain-timeout-policy', a.body?.kubernetes?.drain_timeout_policy)],
  DescribeClusterNodePools: (a) => ['nodepool', 'list', a.path.ClusterId],
  DescribeClusterNodes: (a) => ({ nearest: ['cluster', 'show', a.path.ClusterId],
    note: 'ackup has no command that lists nodes; the nearest shows the cluster with its node pools' }),
  GetUpgradeStatus: (a) => ['upgrade', 'status', a.path.ClusterId],
  UpgradeCluster: (a) => ['upgrade', 'start', a.path.ClusterId, ...opt('--to', a.body?.next_version ?? a.body?.version),
    ...(a.body?.master_only ? ['--master-only'] : [])],
  PauseClusterUpgrade: (a) => ['upgrade', 'pause', a.path.ClusterId],
  ResumeUpgradeCluster: (a) => ['upgrade', 'resume', a.path.ClusterId],
  CancelClusterUpgrade: (a) => ['upgrade', 'cancel', a.path.ClusterId],
  DescribeClusterTasks: (a) => ['task', 'list', a.path.cluster_id],
  DescribeTaskInfo: (a) => ['task', 'show', a.path.task_id],
  PauseTask: (a) => ['task', 'pause', a.path.task_id],
  ResumeTask: (a) => ['task', 'resume', a.path.task_id],
  CancelTask: (a) => ['task', 'cancel', a.path.task_id],
  RunClusterCheck: (a) => ['check', 'run', a.path.cluster_id, ...opt('--type', a.body?.type),
    ...opt('--target', a.body?.type === 'NodePoolUpgrade' ? a.body?.target : ''), ...opt('--to', a.body?.options?.targetVersion)],
  GetClusterCheck: (a) => ['check', 'show', a.path.cluster_id, a.path.check_id],
  ListClusterChecks: (a) => ['check', 'list', a.path.cluster_id, ...opt('--type', a.query.type)],
  DescribeKubernetesVersionMetadata: (a) => ['versions', ...opt('--from', a.query.KubernetesVersion),
    ...(a.query.Mode === 'supported' ? ['--all'] : [])],
  UpgradeClusterNodepool: (a) => ['nodepool', 'upgrade', a.path.ClusterId, a.path.NodepoolId,
    ...opt('--to', a.body?.kubernetes_version), ...opt('--pause-policy', a.body?.rolling_policy?.pause_policy),
    ...(a.body?.node_names || []).flatMap((n) => ['--node', n])],
};

function shellQuote(s) {
  const v = String(s ?? '');
  return /^[\w@%+=:,./-]+$/.test(v) ? v : `'${v.replaceAll("'", "'\\''")}'`;
}

// cliSnippet is the ackup command for the call, or the nearest one.
export function cliSnippet(op, args, endpoint) {
  const build = CLI[op.name];
  if (!build) return `# ackup has no command for ${op.name}; the Go or Node.js code calls it directly.\n`;
  const a = { path: args.path || {}, query: args.query || {}, body: args.body };
  let words = build(a);
  let note = '';
  if (!Array.isArray(words)) {
    note = `# ${words.note}:\n`;
    words = words.nearest;
  }
  const line = ['ackup', ...words.map((w) => (w === undefined || w === '' ? 'ID' : w)), '--endpoint', endpoint];
  return `export ALIBABA_CLOUD_ACCESS_KEY_ID=... ALIBABA_CLOUD_ACCESS_KEY_SECRET=...\n${note}${line.map(shellQuote).join(' ')}\n`;
}
