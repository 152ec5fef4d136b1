package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ackup/ackup/internal/executor/kube/kubetest"
	"github.com/ackup/ackup/internal/kubecfg"
	"github.com/ackup/ackup/internal/server"
)

// startServerWithActions is startServer for a server that declares
// actions (ackup server --actions-file).
func startServerWithActions(t *testing.T, actions kubecfg.Actions) *testEnv {
	t.Helper()
	return startServerWith(t, func(c *server.Config) { c.Actions = actions })
}

// TestClusterRegister registers a real kube-apiserver's cluster with the
// CLI, reads it back, and upgrades it: the named actions given on the
// command line are the ones that run.
func TestClusterRegister(t *testing.T) {
	kube := kubetest.StartT(t)
	ctx := t.Context()
	agent := kubetest.StartAgent(t, kube.Client)
	if err := kubetest.SetControlPlaneVersion(ctx, kube.Client, "v1.33.3"); err != nil {
		t.Fatal(err)
	}
	if err := agent.AddNode(ctx, "worker-0", "v1.33.3", map[string]string{"example.com/pool": "blue"}); err != nil {
		t.Fatal(err)
	}
	e := startServerWithActions(t, agent.Actions())

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no kubeconfig", []string{"--name", "x"}, "--kubeconfig is required"},
		{"no name", []string{"--kubeconfig", kube.KubeconfigPath}, "--name is required"},
		{"both node flags", []string{"--name", "x", "--kubeconfig", kube.KubeconfigPath, "--node-action", kubetest.NodeAction, "--node-wait"}, "exclude each other"},
		{"a program to run", []string{"--name", "x", "--kubeconfig", kube.KubeconfigPath, "--node-command", "/bin/sh -c id"}, "node-command"},
		{"missing file", []string{"--name", "x", "--kubeconfig", filepath.Join(t.TempDir(), "none")}, "no such file"},
	} {
		r := e.run(append([]string{"cluster", "register"}, tc.args...)...)
		if r.code != exitUsage || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%s: exit %d, stderr %q; want %d saying %q", tc.name, r.code, r.stderr, exitUsage, tc.want)
		}
	}

	// A kubeconfig that is not one, and one whose server does not answer,
	// are refused by the server without quoting the file.
	garbage := filepath.Join(t.TempDir(), "garbage")
	if err := os.WriteFile(garbage, []byte("token: ackup-test-admin-token\n\t:::"), 0o600); err != nil {
		t.Fatal(err)
	}
	nowhere := filepath.Join(t.TempDir(), "nowhere")
	if err := os.WriteFile(nowhere, []byte(strings.ReplaceAll(string(kube.Kubeconfig), kube.URL, "https://127.0.0.1:1")), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, file := range []string{garbage, nowhere} {
		r := e.run("cluster", "register", "--name", "refused", "--kubeconfig", file)
		assertAPIError(t, r, "InvalidParameter")
		if strings.Contains(r.stderr, "ackup-test-admin-token") {
			t.Errorf("the error quotes the kubeconfig: %s", r.stderr)
		}
	}
	// An action the server does not declare is refused by the server.
	r := e.run("cluster", "register", "--name", "refused", "--kubeconfig", kube.KubeconfigPath, "--node-action", "reboot")
	assertAPIError(t, r, "InvalidParameter")
	if !strings.Contains(r.stderr, `"reboot" is not an action this ackup server declares`) {
		t.Errorf("unknown action: %s", r.stderr)
	}

	id := strings.TrimSpace(e.ok("cluster", "register", "--name", "real", "--kubeconfig", kube.KubeconfigPath,
		"--pool-label", "example.com/pool", "--tag", "env=test",
		"--node-action", kubetest.NodeAction, "--node-timeout", "5m",
		"--control-plane-action", kubetest.ControlPlaneAction,
		"--control-plane-version-from", "configmap", "--drain-timeout", "5m", "--drain-timeout-policy", "fail"))
	var detail struct {
		ClusterType    string `json:"cluster_type"`
		CurrentVersion string `json:"current_version"`
		Size           int    `json:"size"`
	}
	e.okJSON(&detail, "cluster", "show", id)
	if detail.ClusterType != "ExternalKubernetes" || detail.CurrentVersion != "1.33.3-aliyun.1" || detail.Size != 1 {
		t.Errorf("cluster show = %+v", detail)
	}
	if pools := e.ok("nodepool", "list", id); !strings.Contains(pools, "blue") {
		t.Errorf("nodepool list lacks the pool of the label:\n%s", pools)
	}

	e.ok("upgrade", "start", id, "--to", "1.34.1-aliyun.1", "--watch")
	if runs := agent.CommandRuns("worker-0"); runs != 1 {
		t.Errorf("the node action ran %d times; want once", runs)
	}
	if runs := agent.CommandRuns("control-plane"); runs != 1 {
		t.Errorf("the control plane action ran %d times; want once", runs)
	}
	e.okJSON(&detail, "cluster", "show", id)
	if detail.CurrentVersion != "1.34.1-aliyun.1" {
		t.Errorf("after the upgrade the cluster is at %s", detail.CurrentVersion)
	}
}
