package api

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ackup/ackup/internal/service"
	"github.com/ackup/ackup/internal/upgrade"
)

// fakeBackend is a Backend over plain maps with deterministic contents. It
// records the parameters of the last call so that tests can check what the
// handlers decoded. Real end-to-end tests against the service run
// elsewhere with the official SDK.
type fakeBackend struct {
	mu       sync.Mutex
	clusters map[string]service.ClusterView
	pools    map[string][]service.NodePoolView // by cluster id
	nodes    map[string][]upgrade.Node         // by cluster id
	status   map[string]upgrade.UpgradeStatus  // by cluster id
	tasks    map[string]service.TaskView
	checks   map[string]upgrade.Check

	err     error  // returned by every method when set
	panicOn string // method name that panics
	last    any    // parameters of the last call
	lastOp  string
}

const testAccount = "1234567890123456"

var (
	cst     = time.FixedZone("CST", 8*3600)
	created = time.Date(2024, 3, 1, 10, 20, 30, 0, cst)
	updated = time.Date(2024, 3, 1, 11, 0, 0, 0, time.UTC)
)

func newFakeBackend() *fakeBackend {
	cluster := service.ClusterView{Cluster: upgrade.Cluster{
		ID: "c1", AccountID: testAccount, Name: "demo", RegionID: "cn-hangzhou", ClusterType: "ManagedKubernetes",
		ClusterSpec: "ack.pro.small", Profile: "Default", CurrentVersion: "1.31.1-aliyun.1", InitVersion: "1.30.1-aliyun.1",
		State: upgrade.ClusterRunning, VpcID: "vpc-1", VSwitchIDs: []string{"vsw-1"}, ContainerCIDR: "172.20.0.0/16",
		ServiceCIDR: "172.21.0.0/20", Tags: []upgrade.Tag{{Key: "env", Value: "test"}}, Created: created, Updated: updated,
	}, Size: 2, NextVersion: "1.32.7-aliyun.1"}
	pool := service.NodePoolView{NodePool: upgrade.NodePool{ID: "np1", ClusterID: "c1", Name: "default-nodepool", IsDefault: true,
		DesiredSize: 2, InstanceTypes: []string{"ecs.g7.xlarge"}, VSwitchIDs: []string{"vsw-1"}, State: upgrade.NodePoolActive,
		Created: created, Updated: updated}, TotalNodes: 2, HealthyNodes: 2, ServingNodes: 1, Version: "1.31.1-aliyun.1"}
	nodes := []upgrade.Node{
		{ClusterID: "c1", NodePoolID: "np1", InstanceID: "i-1", Name: "cn-hangzhou.10.0.0.1", IP: "10.0.0.1", InstanceType: "ecs.g7.xlarge",
			Version: "1.31.1-aliyun.1", Status: upgrade.NodeReady, State: "running", Created: created, Updated: updated},
		{ClusterID: "c1", NodePoolID: "np1", InstanceID: "i-2", Name: "cn-hangzhou.10.0.0.2", IP: "10.0.0.2", InstanceType: "ecs.g7.xlarge",
			Version: "1.31.1-aliyun.1", Status: upgrade.NodeNotReady, State: "initial", Created: created, Updated: updated},
	}
	task := service.TaskView{Task: upgrade.Task{
		ID: "T-1", ClusterID: "c1", AccountID: testAccount, Type: upgrade.TaskClusterUpgrade, State: upgrade.TaskFailed,
		Step: upgrade.StepUpgrading, Stage: "UpgradeNodes", TargetID: "c1", TargetType: "cluster",
		Params:    json.RawMessage(`{"target_version":"1.32.7-aliyun.1","master_only":false}`),
		Stages:    []upgrade.Stage{{Name: "Precheck", State: "success", Start: created, End: updated, Outputs: map[string]string{"check_id": "chk-1"}}, {Name: "UpgradeNodes", State: "failed", Start: updated, Message: "node cn-hangzhou.10.0.0.2 did not become Ready"}},
		ErrorCode: "NodeNotReady", ErrorMessage: "node cn-hangzhou.10.0.0.2 did not become Ready within 10m; check its kubelet",
		Message: "upgrade failed", PrecheckID: "chk-1", Created: created, Updated: updated,
		Plan: json.RawMessage(`{"progress":{"stage":"UpgradeNodes","node_pool":"np1","nodes_total":2,"nodes_done":1,"nodes_skipped":0,` +
			`"pools":[{"nodepool_id":"np1","name":"default-nodepool","nodes_total":2,"nodes_done":1,"state":"upgrading",` +
			`"started":"2024-03-01T11:00:00Z","last_done":"2024-03-01T11:00:01.5Z"}],` +
			`"nodes":[{"node":"cn-hangzhou.10.0.0.1","step":"done"},{"node":"cn-hangzhou.10.0.0.2","step":"drain"}],` +
			`"in_flight":[{"node":"cn-hangzhou.10.0.0.2","step":"drain"}],` +
			`"blocker":{"node":"cn-hangzhou.10.0.0.2","pod":"default/web-0","pdb":"default/web","message":"pod default/web-0 cannot be evicted"}}}`),
	}, Events: []upgrade.TaskEvent{{TaskID: "T-1", Seq: 1, Time: time.UnixMilli(1669706229286), Action: "upgrade",
		Level: upgrade.LevelNormal, Reason: "UpgradeStart", Message: "upgrade of cluster c1 to Kubernetes 1.32.7-aliyun.1 requested", Source: "ACK"}}}
	check := upgrade.Check{ID: "chk/1 x", ClusterID: "c1", Type: upgrade.CheckClusterUpgrade, Target: "c1",
		Status: upgrade.CheckSucceeded, Message: "all checks passed",
		Items: []upgrade.CheckItem{
			{Name: "APIServerHealthy", Category: "ControlPlane", Level: "error", Status: "Passed", Message: "the API server answers"},
			{Name: "NodesReady", Category: "Node", Level: "warning", Status: "Warning", Message: "1 node is not Ready", Objects: []string{"cn-hangzhou.10.0.0.2"}},
		},
		Created: time.Date(2023, 10, 16, 8, 31, 20, 192030178, time.UTC), Finished: time.Date(2023, 10, 16, 8, 31, 20, 292030178, time.UTC)}
	return &fakeBackend{
		clusters: map[string]service.ClusterView{"c1": cluster},
		pools:    map[string][]service.NodePoolView{"c1": {pool}},
		nodes:    map[string][]upgrade.Node{"c1": nodes},
		status: map[string]upgrade.UpgradeStatus{"c1": {Status: "running", UpgradeStep: "upgrading", PrecheckReportID: "chk-1",
			TaskStatus: "running", TaskMessage: "upgrading node pool np1: 1 of 2 nodes done",
			Created: created, State: "running", Phase: upgrade.PhaseNodes, Total: 2, Succeeded: 1, Events: task.Events}},
		tasks:  map[string]service.TaskView{"T-1": task},
		checks: map[string]upgrade.Check{check.ID: check},
	}
}

// begin records a call and reports the configured failure, if any.
func (f *fakeBackend) begin(op string, params any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lastOp, f.last = op, params
	if f.panicOn == op {
		panic("fake backend: boom in " + op)
	}
	return f.err
}

func (f *fakeBackend) cluster(id string) (service.ClusterView, error) {
	c, ok := f.clusters[id]
	if !ok {
		return c, upgrade.NotFound(upgrade.ResCluster, id)
	}
	return c, nil
}

func (f *fakeBackend) CreateCluster(_ context.Context, _ string, p service.CreateClusterParams) (service.Created, error) {
	if err := f.begin("CreateCluster", p); err != nil {
		return service.Created{}, err
	}
	return service.Created{ClusterID: "c-new", TaskID: "T-create"}, nil
}

func (f *fakeBackend) DescribeCluster(_ context.Context, _, id string) (service.ClusterView, error) {
	if err := f.begin("DescribeCluster", id); err != nil {
		return service.ClusterView{}, err
	}
	return f.cluster(id)
}

func (f *fakeBackend) ListClusters(_ context.Context, _ string, p upgrade.ClusterListParams) ([]service.ClusterView, int, error) {
	if err := f.begin("ListClusters", p); err != nil {
		return nil, 0, err
	}
	return []service.ClusterView{f.clusters["c1"]}, 1, nil
}

func (f *fakeBackend) DeleteCluster(_ context.Context, _, id string) (service.Created, error) {
	if err := f.begin("DeleteCluster", id); err != nil {
		return service.Created{}, err
	}
	if _, err := f.cluster(id); err != nil {
		return service.Created{}, err
	}
	return service.Created{ClusterID: id, TaskID: "T-delete"}, nil
}

func (f *fakeBackend) ListNodePools(_ context.Context, _, id, name string) ([]service.NodePoolView, error) {
	if err := f.begin("ListNodePools", name); err != nil {
		return nil, err
	}
	if _, err := f.cluster(id); err != nil {
		return nil, err
	}
	return f.pools[id], nil
}

func (f *fakeBackend) ListNodes(_ context.Context, _ string, p upgrade.NodeListParams) ([]upgrade.Node, int, error) {
	if err := f.begin("ListNodes", p); err != nil {
		return nil, 0, err
	}
	if _, err := f.cluster(p.ClusterID); err != nil {
		return nil, 0, err
	}
	all := f.nodes[p.ClusterID]
	if p.Limit == 0 {
		return all, len(all), nil
	}
	lo := min(p.Offset, len(all))
	return all[lo:min(lo+p.Limit, len(all))], len(all), nil
}

func (f *fakeBackend) UpgradeCluster(_ context.Context, _, id string, p service.UpgradeParams) (string, error) {
	if err := f.begin("UpgradeCluster", p); err != nil {
		return "", err
	}
	if _, err := f.cluster(id); err != nil {
		return "", err
	}
	return "T-upgrade", nil
}

func (f *fakeBackend) UpgradeStatus(_ context.Context, _, id string) (upgrade.UpgradeStatus, error) {
	if err := f.begin("UpgradeStatus", id); err != nil {
		return upgrade.UpgradeStatus{}, err
	}
	if _, err := f.cluster(id); err != nil {
		return upgrade.UpgradeStatus{}, err
	}
	if st, ok := f.status[id]; ok {
		return st, nil
	}
	return upgrade.StatusOf(nil, nil), nil
}

func (f *fakeBackend) clusterOp(op, id string) error {
	if err := f.begin(op, id); err != nil {
		return err
	}
	_, err := f.cluster(id)
	return err
}

func (f *fakeBackend) PauseClusterUpgrade(_ context.Context, _, id string) error {
	return f.clusterOp("PauseClusterUpgrade", id)
}

func (f *fakeBackend) ResumeClusterUpgrade(_ context.Context, _, id string) error {
	return f.clusterOp("ResumeClusterUpgrade", id)
}

func (f *fakeBackend) CancelClusterUpgrade(_ context.Context, _, id string) error {
	return f.clusterOp("CancelClusterUpgrade", id)
}

func (f *fakeBackend) DescribeTask(_ context.Context, _, id string) (service.TaskView, error) {
	if err := f.begin("DescribeTask", id); err != nil {
		return service.TaskView{}, err
	}
	t, ok := f.tasks[id]
	if !ok {
		return t, upgrade.NotFound(upgrade.ResTask, id)
	}
	return t, nil
}

func (f *fakeBackend) ListTasks(_ context.Context, _, id string, offset, limit int) ([]upgrade.Task, int, error) {
	if err := f.begin("ListTasks", [2]int{offset, limit}); err != nil {
		return nil, 0, err
	}
	if _, err := f.cluster(id); err != nil {
		return nil, 0, err
	}
	return []upgrade.Task{f.tasks["T-1"].Task}, 1, nil
}

func (f *fakeBackend) taskOp(op, id string) error {
	if err := f.begin(op, id); err != nil {
		return err
	}
	if _, ok := f.tasks[id]; !ok {
		return upgrade.NotFound(upgrade.ResTask, id)
	}
	return nil
}

func (f *fakeBackend) PauseTask(_ context.Context, _, id string) error {
	return f.taskOp("PauseTask", id)
}
func (f *fakeBackend) ResumeTask(_ context.Context, _, id string) error {
	return f.taskOp("ResumeTask", id)
}
func (f *fakeBackend) CancelTask(_ context.Context, _, id string) error {
	return f.taskOp("CancelTask", id)
}

func (f *fakeBackend) UpgradeNodePool(_ context.Context, _, id, pool string, p service.NodePoolUpgradeParams) (string, error) {
	if err := f.begin("UpgradeNodePool", p); err != nil {
		return "", err
	}
	if _, err := f.cluster(id); err != nil {
		return "", err
	}
	if pool != "np1" {
		return "", upgrade.NotFound(upgrade.ResNodePool, pool)
	}
	return "T-np", nil
}

func (f *fakeBackend) RunCheck(_ context.Context, _, id string, p service.CheckParams) (string, error) {
	if err := f.begin("RunCheck", p); err != nil {
		return "", err
	}
	if _, err := f.cluster(id); err != nil {
		return "", err
	}
	return "chk-new", nil
}

func (f *fakeBackend) GetCheck(_ context.Context, _, id, checkID string) (upgrade.Check, error) {
	if err := f.begin("GetCheck", checkID); err != nil {
		return upgrade.Check{}, err
	}
	chk, ok := f.checks[checkID]
	if !ok || chk.ClusterID != id {
		return chk, upgrade.NotFound(upgrade.ResCheck, checkID)
	}
	return chk, nil
}

func (f *fakeBackend) ListChecks(_ context.Context, _, id, typ, target string) ([]upgrade.Check, error) {
	if err := f.begin("ListChecks", [2]string{typ, target}); err != nil {
		return nil, err
	}
	if _, err := f.cluster(id); err != nil {
		return nil, err
	}
	var out []upgrade.Check
	for _, c := range f.checks {
		out = append(out, c)
	}
	return out, nil
}

// Test credentials: the Authorization header names the account, or one of
// these values makes authentication fail.
var testAuthFailures = map[string]error{
	"":            &AuthError{Code: "IncompleteSignature", Message: "The request is not signed."},
	"bad":         &AuthError{Code: "SignatureDoesNotMatch"},
	"unknown-key": &AuthError{Code: "InvalidAccessKeyId.NotFound", Message: "Specified access key is not found."},
	"throttled":   &AuthError{Code: "Throttling.User", RetryAfter: 1500 * time.Millisecond},
	"db-down":     io.ErrUnexpectedEOF,
}

func testAuthenticate(_ context.Context, r *AuthRequest) (string, error) {
	v := r.Header.Get("Authorization")
	if err, ok := testAuthFailures[v]; ok {
		return "", err
	}
	return v, nil
}

const testRequestID = "0F5D0E2B-6A11-4C6B-9B2B-3E1C2A9D7F10"

type testServer struct {
	h       http.Handler
	backend *fakeBackend
	logs    *strings.Builder
}

func newTestServer(t testing.TB) *testServer {
	t.Helper()
	ts := &testServer{backend: newFakeBackend(), logs: &strings.Builder{}}
	var mu sync.Mutex
	h, err := New(Config{
		Backend:      ts.backend,
		Authenticate: testAuthenticate,
		Logger:       slog.New(slog.NewTextHandler(&lockedWriter{mu: &mu, w: ts.logs}, nil)),
		Now:          func() time.Time { return updated },
		NewRequestID: func() string { return testRequestID },
	})
	if err != nil {
		t.Fatal(err)
	}
	ts.h = h
	return ts
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// do sends a signed-for-test request asking for JSON.
func (ts *testServer) do(method, target, body string) *httptest.ResponseRecorder {
	return ts.doWith(method, target, body, http.Header{"Accept": {"application/json"}, "Authorization": {testAccount}})
}

func (ts *testServer) doWith(method, target, body string, h http.Header) *httptest.ResponseRecorder {
	var r *http.Request
	if body == "" {
		r = httptest.NewRequest(method, target, nil)
	} else {
		r = httptest.NewRequest(method, target, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	for k, v := range h {
		r.Header[k] = v
	}
	w := httptest.NewRecorder()
	ts.h.ServeHTTP(w, r)
	return w
}

// decodeMap decodes a JSON response body into a generic map.
func decodeMap(t *testing.T, w *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, w.Body)
	}
	return m
}
