package api

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ackup/ackup/internal/kubecfg"
	"github.com/ackup/ackup/internal/service"
	"github.com/ackup/ackup/internal/upgrade"
)

// registerSecret is the credential inside the test kubeconfig: it must
// never reach a log line or a response.
const registerSecret = "kc-token-5f1e9a7c3b2d"

const registerKubeconfig = "apiVersion: v1\nkind: Config\nusers:\n- name: admin\n  user:\n    token: " + registerSecret + "\n"

// registerCaseBody is RegisterCluster's request in the routing and golden
// cases; registerCaseParams is what the backend must receive.
const registerCaseBody = `{"kubeconfig":"apiVersion: v1\nkind: Config\nusers:\n- name: admin\n  user:\n    token: kc-token-5f1e9a7c3b2d\n",` +
	`"kubernetes":{"control_plane_action":{"type":"wait","timeout":"1h"},"drain_timeout":"5m","drain_timeout_policy":"skip",` +
	`"node_action":{"type":"command","name":"upgrade-node"},"pool_label":"example.com/pool"},` +
	`"name":"prod","region_id":"cn-shanghai","tags":[{"key":"env","value":"prod"}]}`

var registerCaseParams = service.ExternalParams{Name: "prod", RegionID: "cn-shanghai", Tags: []upgrade.Tag{{Key: "env", Value: "prod"}},
	Kube: kubecfg.Config{
		Kubeconfig:         []byte(registerKubeconfig),
		PoolLabel:          "example.com/pool",
		ControlPlaneAction: kubecfg.Action{Type: kubecfg.ActionWait, Timeout: time.Hour},
		NodeAction:         kubecfg.Action{Type: kubecfg.ActionCommand, Name: "upgrade-node"},
		DrainTimeout:       5 * time.Minute, DrainTimeoutPolicy: kubecfg.DrainSkip,
	}}

// RegisterExternal answers a fixed id; a kubeconfig naming an unreachable
// server is refused as the service would.
func (f *fakeBackend) RegisterExternal(_ context.Context, _ string, p service.ExternalParams) (service.Created, error) {
	if err := f.begin("RegisterExternal", p); err != nil {
		return service.Created{}, err
	}
	if strings.Contains(string(p.Kube.Kubeconfig), "unreachable") {
		return service.Created{}, upgrade.Invalidf("the cluster could not be read with this kubeconfig: dial tcp 10.0.0.1:6443: connection refused")
	}
	return service.Created{ClusterID: "c-registered", TaskID: "T-register"}, nil
}

func TestRegisterClusterDecodesEveryField(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	body := `{"name":"edge","kubeconfig":"k: v","kubernetes":{"pool_label":"pool","control_plane_action":{"type":"command","name":"cp-up","timeout":"45m"},` +
		`"node_action":{"type":"wait","timeout":"20m"},"control_plane_version_from":"configmap","drain_timeout":"1h30m","drain_timeout_policy":"fail",` +
		`"delete_emptydir_data":true,"force_bare_pods":"true","node_ready_timeout":"90s"}}`
	w := ts.do("POST", "/api/ackup/v1/clusters", body)
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	want := service.ExternalParams{Name: "edge", Kube: kubecfg.Config{Kubeconfig: []byte("k: v"), PoolLabel: "pool",
		ControlPlaneAction:      kubecfg.Action{Type: kubecfg.ActionCommand, Name: "cp-up", Timeout: 45 * time.Minute},
		NodeAction:              kubecfg.Action{Type: kubecfg.ActionWait, Timeout: 20 * time.Minute},
		ControlPlaneVersionFrom: kubecfg.VersionFromConfigMap, DrainTimeout: 90 * time.Minute, DrainTimeoutPolicy: kubecfg.DrainFail,
		DeleteEmptyDirData: true, ForceBarePods: true, NodeReadyTimeout: 90 * time.Second}}
	if got := jsonOf(t, ts.backend.last); got != jsonOf(t, want) {
		t.Errorf("backend got %s\nwant %s", got, jsonOf(t, want))
	}
	m := decodeMap(t, w)
	if m["cluster_id"] != "c-registered" || m["task_id"] != "T-register" || m["request_id"] != testRequestID {
		t.Errorf("body %v", m)
	}
}

func TestRegisterClusterRefusesBadBodies(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, body, code, words string
	}{
		{"no name", `{"kubeconfig":"k: v"}`, "MissingParameter", "name is required"},
		{"no kubeconfig", `{"name":"a"}`, "MissingParameter", "kubeconfig is required"},
		{"kubeconfig as an object", `{"name":"a","kubeconfig":{"token":"` + registerSecret + `"}}`, "InvalidParameter", "kubeconfig must be a string, got an object"},
		{"bare number duration", `{"name":"a","kubeconfig":"k: v","kubernetes":{"drain_timeout":600}}`, "InvalidParameter", `kubernetes.drain_timeout must be a duration such as "10m"`},
		{"bad action timeout", `{"name":"a","kubeconfig":"k: v","kubernetes":{"node_action":{"timeout":"soon"}}}`, "InvalidParameter", "kubernetes.node_action.timeout must be a duration"},
		{"negative duration", `{"name":"a","kubeconfig":"k: v","kubernetes":{"node_ready_timeout":"-1m"}}`, "InvalidParameter", "kubernetes.node_ready_timeout must not be negative"},
		{"a program to run", `{"name":"a","kubeconfig":"k: v","kubernetes":{"node_action":{"type":"command","command":["/bin/sh","-c","cat /etc/ackup.key"]}}}`,
			"InvalidParameter", "kubernetes.node_action.command is not accepted: ackup runs only the actions its operator declares; ask the operator to declare a named action"},
		{"a program for the control plane", `{"name":"a","kubeconfig":"k: v","kubernetes":{"control_plane_action":{"command":"id"}}}`,
			"InvalidParameter", "kubernetes.control_plane_action.command is not accepted"},
		{"name not a string", `{"name":"a","kubeconfig":"k: v","kubernetes":{"node_action":{"name":["x"]}}}`, "InvalidParameter", "kubernetes.node_action.name must be a string"},
		{"tag without key", `{"name":"a","kubeconfig":"k: v","tags":[{"value":"x"}]}`, "MissingParameter", "tags[0].key is required"},
		{"kubernetes not an object", `{"name":"a","kubeconfig":"k: v","kubernetes":"pool"}`, "InvalidParameter", "kubernetes must be an object"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ts := newTestServer(t)
			w := ts.do("POST", "/api/ackup/v1/clusters", tc.body)
			m := decodeMap(t, w)
			if w.Code != http.StatusBadRequest || m["code"] != tc.code || !strings.Contains(m["message"].(string), tc.words) {
				t.Errorf("status %d %v; want 400 %s saying %q", w.Code, m, tc.code, tc.words)
			}
			if ts.backend.lastOp != "" {
				t.Errorf("the backend was called (%s)", ts.backend.lastOp)
			}
			if strings.Contains(w.Body.String(), registerSecret) || strings.Contains(ts.logs.String(), registerSecret) {
				t.Errorf("the kubeconfig's secret is in the response or the log:\n%s\n%s", w.Body, ts.logs)
			}
		})
	}
}

// TestRegisterClusterNeverLogsOrAnswersTheKubeconfig sends a kubeconfig
// to every outcome RegisterCluster has and looks for it, and for its
// secret, in the request's log line and in the response, headers included.
func TestRegisterClusterNeverLogsOrAnswersTheKubeconfig(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		kubeconfig string
		backendErr error
		status     int
	}{
		{"registered", registerKubeconfig, nil, http.StatusOK},
		{"unreachable", registerKubeconfig + "# unreachable\n", nil, http.StatusBadRequest},
		{"internal error", registerKubeconfig, errors.New("store: disk full"), http.StatusInternalServerError},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ts := newTestServer(t)
			ts.backend.err = tc.backendErr
			body := `{"name":"prod","kubeconfig":` + jsonOf(t, tc.kubeconfig) + `}`
			for _, accept := range []string{"application/json", "text/xml"} {
				w := ts.doWith("POST", "/api/ackup/v1/clusters", body, http.Header{"Accept": {accept}, "Authorization": {testAccount}})
				if w.Code != tc.status {
					t.Fatalf("status %d: %s", w.Code, w.Body)
				}
				var answer strings.Builder
				answer.Write(w.Body.Bytes())
				for k, v := range w.Header() {
					answer.WriteString(k + ": " + strings.Join(v, ",") + "\n")
				}
				for _, secret := range []string{registerSecret, tc.kubeconfig, "kind: Config"} {
					if strings.Contains(answer.String(), secret) {
						t.Errorf("the response contains %q:\n%s", secret, answer.String())
					}
				}
			}
			logs := ts.logs.String()
			if !strings.Contains(logs, "action=RegisterCluster") {
				t.Fatalf("no request log line for RegisterCluster:\n%s", logs)
			}
			for _, secret := range []string{registerSecret, "kind: Config", "kubeconfig"} {
				if strings.Contains(logs, secret) {
					t.Errorf("the log contains %q:\n%s", secret, logs)
				}
			}
		})
	}
}

// FuzzDecodeRegisterCluster: any body decodes or fails as a client error,
// and a kubeconfig that decodes is passed on byte for byte.
func FuzzDecodeRegisterCluster(f *testing.F) {
	f.Add([]byte(registerCaseBody))
	f.Add([]byte(`{"name":"a","kubeconfig":"k","kubernetes":{"drain_timeout":"1e3","node_action":{"name":null,"command":null,"timeout":"-0s"}}}`))
	f.Add([]byte(`{"kubeconfig":7,"kubernetes":{"control_plane_action":[]},"tags":[null]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := decodeRegisterCluster(body)
		checkDecodeError(t, err)
		if err != nil {
			return
		}
		o, _ := decodeObject(body)
		if want := o.str("kubeconfig"); string(p.Kube.Kubeconfig) != want {
			t.Fatalf("kubeconfig decoded as %q from %q", p.Kube.Kubeconfig, want)
		}
	})
}
