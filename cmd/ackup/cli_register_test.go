package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ackup/ackup/internal/executor/kube/kubetest"
)

func TestSplitWords(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want []string
		err  string
	}{
		{in: "", want: nil},
		{in: "  upgrade-node  --fast\t-v ", want: []string{"upgrade-node", "--fast", "-v"}},
		{in: `/bin/sh -c 'echo "$1" > /tmp/x; exit 0' sh`, want: []string{"/bin/sh", "-c", `echo "$1" > /tmp/x; exit 0`, "sh"}},
		{in: `a "b c" "d\"e" "f\g" "$\$"`, want: []string{"a", "b c", `d"e`, `f\g`, "$$"}},
		{in: `'it'\''s' '' x\ y`, want: []string{"it's", "", "x y"}},
		{in: "one \\\ntwo", want: []string{"one", "two"}},
		{in: "'multi\nline'", want: []string{"multi\nline"}},
		{in: `"unclosed`, err: "quote is not closed"},
		{in: `trailing\`, err: "lone backslash"},
	} {
		got, err := splitWords(tc.in)
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("splitWords(%q) = %q, %v; want an error saying %q", tc.in, got, err, tc.err)
		case tc.err == "" && (err != nil || !slices.Equal(got, tc.want)):
			t.Errorf("splitWords(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

// shellJoin quotes words so that splitWords (and a shell) gives them back.
func shellJoin(words []string) string {
	quoted := make([]string, len(words))
	for i, w := range words {
		quoted[i] = "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
	}
	return strings.Join(quoted, " ")
}

func TestShellJoinRoundTrips(t *testing.T) {
	t.Parallel()
	words := []string{"/bin/sh", "-c", "[ -s \"$K\" ] || { echo 'no' >&2; exit 3; }\necho \"$0\" >> \"$0/x\"", "/tmp/dir with space"}
	if got, err := splitWords(shellJoin(words)); err != nil || !slices.Equal(got, words) {
		t.Fatalf("splitWords(shellJoin(%q)) = %q, %v", words, got, err)
	}
}

// TestClusterRegister registers a real kube-apiserver's cluster with the
// CLI, reads it back, and upgrades it: the commands given on the command
// line are the ones that run.
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
	e := startServer(t, 1)

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no kubeconfig", []string{"--name", "x"}, "--kubeconfig is required"},
		{"no name", []string{"--kubeconfig", kube.KubeconfigPath}, "--name is required"},
		{"both node flags", []string{"--name", "x", "--kubeconfig", kube.KubeconfigPath, "--node-command", "true", "--node-wait"}, "exclude each other"},
		{"unclosed quote", []string{"--name", "x", "--kubeconfig", kube.KubeconfigPath, "--control-plane-command", "sh -c 'x"}, "quote is not closed"},
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

	id := strings.TrimSpace(e.ok("cluster", "register", "--name", "real", "--kubeconfig", kube.KubeconfigPath,
		"--pool-label", "example.com/pool", "--tag", "env=test",
		"--node-command", shellJoin(agent.NodeCommand()), "--node-timeout", "5m",
		"--control-plane-command", shellJoin(agent.ControlPlaneCommand()),
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
		t.Errorf("the node command ran %d times; want once", runs)
	}
	if runs := agent.CommandRuns("control-plane"); runs != 1 {
		t.Errorf("the control plane command ran %d times; want once", runs)
	}
	e.okJSON(&detail, "cluster", "show", id)
	if detail.CurrentVersion != "1.34.1-aliyun.1" {
		t.Errorf("after the upgrade the cluster is at %s", detail.CurrentVersion)
	}
}

// FuzzSplitWords: quoted words always come back as they were, and no
// input makes splitWords panic.
func FuzzSplitWords(f *testing.F) {
	f.Add("/bin/sh\x00-c\x00echo 'x' \"$y\" \\\n")
	f.Add("a b\x00\x00'")
	f.Fuzz(func(t *testing.T, joined string) {
		_, _ = splitWords(joined)
		words := strings.Split(joined, "\x00")
		if got, err := splitWords(shellJoin(words)); err != nil || !slices.Equal(got, words) {
			t.Fatalf("splitWords(shellJoin(%q)) = %q, %v", words, got, err)
		}
	})
}
