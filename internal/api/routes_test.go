package api

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ackup/ackup/internal/service"
	"github.com/ackup/ackup/internal/upgrade"
)

// opCase is one successful request per operation, shared by the routing
// and golden tests. backendOp and backendArg say what the fake must have
// been called with (the unescaped path value, where there is one).
type opCase struct {
	op         string
	method     string
	target     string
	body       string
	backendOp  string
	backendArg any
}

var opCases = []opCase{
	{"DescribeKubernetesVersionMetadata", "GET", "/api/v1/metadata/versions?ClusterType=ManagedKubernetes&KubernetesVersion=1.31.1-aliyun.1&QueryUpgradableVersion=true&Region=cn-hangzhou", "", "", nil},
	{"CreateCluster", "POST", "/clusters", `{"cluster_spec":"ack.pro.small","cluster_type":"ManagedKubernetes","kubernetes_version":"1.31.1-aliyun.1","name":"demo","nodepools":[{"nodepool_info":{"name":"default-nodepool"},"scaling_group":{"desired_size":2,"instance_types":["ecs.g7.xlarge"],"vswitch_ids":["vsw-1"]}}],"region_id":"cn-hangzhou"}`, "CreateCluster", nil},
	{"DescribeClusterDetail", "GET", "/clusters/c1", "", "DescribeCluster", "c1"},
	{"DescribeClustersV1", "GET", "/api/v1/clusters?cluster_id=c1&name=my+cluster%2A~%2Fx&page_number=1&page_size=10&region_id=cn-hangzhou", "", "ListClusters", nil},
	{"DeleteCluster", "DELETE", "/clusters/c1?delete_options=%5B%7B%22delete_mode%22%3A%22delete%22%2C%22resource_type%22%3A%22SLB%22%7D%5D&retain_all_resources=false&retain_resources=%5B%22sg-1%22%2C%22lb-2%22%5D", "", "DeleteCluster", "c1"},
	{"DescribeClusterNodePools", "GET", "/clusters/c1/nodepools?NodepoolName=default-nodepool", "", "ListNodePools", "default-nodepool"},
	{"DescribeClusterNodes", "GET", "/clusters/c1/nodes?nodepool_id=np1&pageNumber=1&pageSize=100&state=all", "", "ListNodes", nil},
	{"GetUpgradeStatus", "GET", "/api/v2/clusters/c1/upgrade/status", "", "UpgradeStatus", "c1"},
	{"UpgradeCluster", "POST", "/api/v2/clusters/c1/upgrade", `{"master_only":true,"next_version":"1.32.7-aliyun.1"}`, "UpgradeCluster", service.UpgradeParams{NextVersion: "1.32.7-aliyun.1", MasterOnly: true}},
	{"PauseClusterUpgrade", "POST", "/api/v2/clusters/c1/upgrade/pause", "", "PauseClusterUpgrade", "c1"},
	{"ResumeUpgradeCluster", "POST", "/api/v2/clusters/c1/upgrade/resume", "", "ResumeClusterUpgrade", "c1"},
	{"CancelClusterUpgrade", "POST", "/api/v2/clusters/c1/upgrade/cancel", "", "CancelClusterUpgrade", "c1"},
	{"DescribeClusterTasks", "GET", "/clusters/c1/tasks?page_number=2&page_size=50", "", "ListTasks", [2]int{50, 50}},
	{"DescribeTaskInfo", "GET", "/tasks/T-1", "", "DescribeTask", "T-1"},
	{"PauseTask", "POST", "/tasks/T-1/pause", "", "PauseTask", "T-1"},
	{"ResumeTask", "POST", "/tasks/T-1/resume", "", "ResumeTask", "T-1"},
	{"CancelTask", "POST", "/tasks/T-1/cancel", "", "CancelTask", "T-1"},
	{"UpgradeClusterNodepool", "POST", "/clusters/c1/nodepools/np1/upgrade", `{"kubernetes_version":"1.31.1-aliyun.1","node_names":["cn-hangzhou.10.0.0.1"],"rolling_policy":{"batch_interval":5,"max_parallelism":1,"pause_policy":"NotPause"},"use_replace":false}`, "UpgradeNodePool",
		service.NodePoolUpgradeParams{KubernetesVersion: "1.31.1-aliyun.1", NodeNames: []string{"cn-hangzhou.10.0.0.1"}, MaxParallelism: new(1), BatchInterval: new(5), PausePolicy: upgrade.PauseNotPause}},
	{"RunClusterCheck", "POST", "/clusters/c1/checks", `{"options":{"targetVersion":"1.32.7-aliyun.1"},"target":"c1","type":"ClusterUpgrade"}`, "RunCheck",
		service.CheckParams{Type: "ClusterUpgrade", Target: "c1", Options: map[string]string{"targetVersion": "1.32.7-aliyun.1"}}},
	{"GetClusterCheck", "GET", "/clusters/c1/checks/chk%2F1%20x", "", "GetCheck", "chk/1 x"},
	{"ListClusterChecks", "GET", "/clusters/c1/checks?target=np1&type=ClusterUpgrade", "", "ListChecks", [2]string{"ClusterUpgrade", "np1"}},
	{"RegisterCluster", "POST", "/api/ackup/v1/clusters", registerCaseBody, "RegisterExternal", registerCaseParams},
	{"DescribeClusterUserKubeconfig", "GET", "/k8s/c1/user_config?PrivateIpAddress=false", "", "UserKubeconfig", 0},
	{"CheckControlPlaneLogEnable", "GET", "/clusters/c1/controlplanelog", "", "ControlPlaneLog", "c1"},
	{"GetClusterAuditProject", "GET", "/clusters/c1/audit", "", "AuditProject", "c1"},
	{"DescribeClusterResources", "GET", "/clusters/c1/resources", "", "ListClusterResources", "c1"},
}

func TestEveryOperationIsRoutedByMethodAndEscapedPath(t *testing.T) {
	t.Parallel()
	ops := map[string]Operation{}
	for _, op := range Operations() {
		ops[op.Name] = op
	}
	covered := map[string]bool{}
	for _, tc := range opCases {
		t.Run(tc.op, func(t *testing.T) {
			t.Parallel()
			ts := newTestServer(t)
			op := ops[tc.op]
			// No x-acs-action, or a misleading one: routing ignores it.
			w := ts.doWith(tc.method, tc.target, tc.body, http.Header{"Accept": {"application/json"},
				"Authorization": {testAccount}, "X-Acs-Action": {"SomethingElse"}})
			if w.Code != op.SuccessStatus {
				t.Fatalf("status %d, want %d: %s", w.Code, op.SuccessStatus, w.Body)
			}
			if got := w.Header().Get("Content-Type"); got != "application/json;charset=utf-8" {
				t.Errorf("Content-Type %q", got)
			}
			if got := w.Header().Get("x-acs-request-id"); got != testRequestID {
				t.Errorf("x-acs-request-id %q", got)
			}
			if tc.backendOp != "" && ts.backend.lastOp != tc.backendOp {
				t.Errorf("backend call %q, want %q", ts.backend.lastOp, tc.backendOp)
			}
			if tc.backendArg != nil {
				if got, want := jsonOf(t, ts.backend.last), jsonOf(t, tc.backendArg); got != want {
					t.Errorf("backend got %s, want %s", got, want)
				}
			}
			switch op.BodyType {
			case "array":
				var arr []any
				if err := json.Unmarshal(w.Body.Bytes(), &arr); err != nil {
					t.Fatalf("body is not a JSON array: %v", err)
				}
			case "none":
				if w.Body.String() != "{}" {
					t.Errorf("body %q, want {}", w.Body)
				}
			default:
				m := decodeMap(t, w)
				if op.RequestIDKey != "" && m[op.RequestIDKey] != testRequestID {
					t.Errorf("body %s = %v, want the request id", op.RequestIDKey, m[op.RequestIDKey])
				}
			}
		})
		covered[tc.op] = true
	}
	for name := range ops {
		if !covered[name] {
			t.Errorf("operation %s has no routing case", name)
		}
	}
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestPathValuesAreUnescapedExactlyOnce(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	for target, want := range map[string]string{
		"/tasks/T%2F1%20x":   "T/1 x",
		"/tasks/T%252F1":     "T%2F1",
		"/tasks/T-%E4%B8%AD": "T-中",
		"/tasks/a+b":         "a+b",
	} {
		w := ts.do("GET", target, "")
		if w.Code != http.StatusNotFound || ts.backend.last != want {
			t.Errorf("%s: status %d, backend saw %q, want %q", target, w.Code, ts.backend.last, want)
		}
	}
}

func TestUnknownRouteIsJSON404(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	for _, target := range []string{"/nope", "/clusters/c1/upgrade/status", "/api/v2/clusters//upgrade/status", "/tasks/../clusters/c1", "/clusters/c1/"} {
		w := ts.do("GET", target, "")
		if w.Code != http.StatusNotFound {
			t.Fatalf("%s: status %d: %s", target, w.Code, w.Body)
		}
		m := decodeMap(t, w)
		if m["Code"] != "InvalidAction.NotFound" || m["RequestId"] != testRequestID || w.Header().Get("x-acs-request-id") != testRequestID {
			t.Errorf("%s: body %v", target, m)
		}
	}
}

func TestWrongMethodIsJSON405WithAllow(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	for target, allow := range map[string]string{
		"/clusters/c1":                       "DELETE, GET, HEAD",
		"/api/v2/clusters/c1/upgrade/status": "GET, HEAD",
		"/tasks/T-1/pause":                   "POST",
	} {
		w := ts.do("PUT", target, "")
		if w.Code != http.StatusMethodNotAllowed {
			t.Fatalf("%s: status %d", target, w.Code)
		}
		if got := w.Header().Get("Allow"); got != allow {
			t.Errorf("%s: Allow %q, want %q", target, got, allow)
		}
		m := decodeMap(t, w)
		if m["Code"] != "UnsupportedHTTPMethod" || m["RequestId"] != testRequestID || w.Header().Get("x-acs-request-id") != testRequestID {
			t.Errorf("%s: body %v", target, m)
		}
	}
}

func TestOperationsDescriptionIsPublicJSON(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	w := ts.doWith("GET", "/api/ackup/operations", "", nil)
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	var got []Operation
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if jsonOf(t, got) != jsonOf(t, Operations()) {
		t.Error("served table differs from Operations()")
	}
	names := map[string]bool{}
	for _, op := range got {
		if names[op.Name] || op.Doc == "" || op.Path == "" {
			t.Errorf("bad operation %+v", op)
		}
		names[op.Name] = true
		for _, p := range op.Params {
			if p.In == "path" && !strings.Contains(op.Path, "{"+p.Name+"}") {
				t.Errorf("%s: path parameter %s is not in %s", op.Name, p.Name, op.Path)
			}
		}
	}
	if len(got) != 26 {
		t.Errorf("%d operations, want 26", len(got))
	}
}

func TestOperationsReturnsACopy(t *testing.T) {
	t.Parallel()
	a := Operations()
	a[0].Name = "changed"
	for i := range a {
		for j := range a[i].Params {
			for k := range a[i].Params[j].Enum {
				a[i].Params[j].Enum[k] = "mutated"
			}
		}
	}
	if b := Operations(); b[0].Name == "changed" || b[0].Params[1].Enum[0] != "Kubernetes" {
		t.Error("Operations shares state between calls")
	}
	ts := newTestServer(t)
	if w := ts.do("GET", "/api/v1/metadata/versions?Region=r&ClusterType=Kubernetes", ""); w.Code != 200 {
		t.Errorf("validation changed by mutating a copy: %d %s", w.Code, w.Body)
	}
}

func TestHealthAndReadinessNeedNoAuth(t *testing.T) {
	t.Parallel()
	var readyErr error
	h, err := New(Config{Backend: newFakeBackend(), Authenticate: testAuthenticate, Logger: discardLogger(),
		Ready: func(context.Context) error { return readyErr }})
	if err != nil {
		t.Fatal(err)
	}
	get := func(target string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", target, nil))
		return w
	}
	if w := get("/healthz"); w.Code != 200 || w.Body.String() != `{"status":"ok"}` || w.Header().Get("x-acs-request-id") == "" {
		t.Errorf("healthz: %d %s", w.Code, w.Body)
	}
	if w := get("/readyz"); w.Code != 200 || w.Body.String() != `{"status":"ready"}` {
		t.Errorf("readyz: %d %s", w.Code, w.Body)
	}
	readyErr = errors.New("database unreachable: secret detail")
	w := get("/readyz")
	if w.Code != http.StatusServiceUnavailable || w.Body.String() != `{"status":"unavailable"}` {
		t.Errorf("readyz when not ready: %d %s", w.Code, w.Body)
	}
	if w.Header().Get("Content-Type") != "application/json;charset=utf-8" {
		t.Errorf("readyz Content-Type %q", w.Header().Get("Content-Type"))
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func TestNewValidatesConfig(t *testing.T) {
	t.Parallel()
	if _, err := New(Config{Authenticate: testAuthenticate}); err == nil {
		t.Error("New without Backend succeeded")
	}
	if _, err := New(Config{Backend: newFakeBackend()}); err == nil {
		t.Error("New without Authenticate succeeded")
	}
}
