package kubecfg

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseActions(t *testing.T) {
	t.Parallel()
	yamlFile := `
actions:
- name: kubeadm-node
  argv: ["/etc/ackup/kubeadm-node.sh", "--fast"]
  timeout: 45m
  kubeconfig: true
  env:
    HOME: /var/lib/ackup
- name: cp
  argv: [/usr/local/bin/cp-upgrade]
`
	jsonFile := `{"actions": [{"name": "kubeadm-node", "argv": ["/etc/ackup/kubeadm-node.sh", "--fast"], "timeout": "45m",
		"kubeconfig": true, "env": {"HOME": "/var/lib/ackup"}}, {"name": "cp", "argv": ["/usr/local/bin/cp-upgrade"]}]}`
	for _, file := range []string{yamlFile, jsonFile} {
		as, err := ParseActions([]byte(file))
		if err != nil {
			t.Fatal(err)
		}
		a, ok := as.Lookup("kubeadm-node")
		if !ok || a.Argv[1] != "--fast" || a.Timeout != 45*time.Minute || !a.Kubeconfig || a.Env["HOME"] != "/var/lib/ackup" {
			t.Errorf("kubeadm-node = %+v, %v", a, ok)
		}
		if cp, _ := as.Lookup("cp"); cp.Timeout != DefaultActionTimeout || cp.Kubeconfig {
			t.Errorf("cp = %+v; want the default timeout and no kubeconfig", cp)
		}
		if got := strings.Join(as.Names(), ","); got != "kubeadm-node,cp" {
			t.Errorf("Names = %s", got)
		}
	}
}

func TestParseActionsRefuses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, file, words string }{
		{"misspelt field", `{"actions": [{"name": "a", "argv": ["/bin/true"], "timout": "1m"}]}`, "timout"},
		{"relative program", `{"actions": [{"name": "a", "argv": ["upgrade.sh"]}]}`, "absolute path"},
		{"no argv", `{"actions": [{"name": "a"}]}`, "argv is required"},
		{"bad name", `{"actions": [{"name": "A B", "argv": ["/bin/true"]}]}`, "not an action name"},
		{"twice", `{"actions": [{"name": "a", "argv": ["/bin/true"]}, {"name": "a", "argv": ["/bin/false"]}]}`, "declared twice"},
		{"sets ackup's variable", `{"actions": [{"name": "a", "argv": ["/bin/true"], "env": {"ACKUP_NODE_NAME": "x"}}]}`, "ackup sets"},
		{"sets KUBECONFIG", `{"actions": [{"name": "a", "argv": ["/bin/true"], "env": {"KUBECONFIG": "/root/.kube/config"}}]}`, "ackup sets"},
		{"bad timeout", `{"actions": [{"name": "a", "argv": ["/bin/true"], "timeout": "soon"}]}`, "not a duration"},
	} {
		if _, err := ParseActions([]byte(tc.file)); err == nil || !strings.Contains(err.Error(), tc.words) {
			t.Errorf("%s: ParseActions = %v; want an error saying %q", tc.name, err, tc.words)
		}
	}
}

func TestActionsCheck(t *testing.T) {
	t.Parallel()
	as := Actions{{Name: "kubeadm-node", Argv: []string{"/bin/true"}}}
	if err := as.Check(Config{NodeAction: Action{Name: "kubeadm-node"}, ControlPlaneAction: Action{Type: ActionWait}}); err != nil {
		t.Errorf("Check of a declared name = %v", err)
	}
	err := as.Check(Config{ControlPlaneAction: Action{Type: ActionCommand, Name: "reboot"}})
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), `control_plane_action.name "reboot" is not an action`) ||
		!strings.Contains(err.Error(), "kubeadm-node") {
		t.Errorf("Check of an unknown name = %v", err)
	}
	if err := (Actions{}).Check(Config{NodeAction: Action{Name: "x"}}); err == nil || !strings.Contains(err.Error(), "declares no actions") {
		t.Errorf("Check with no actions = %v", err)
	}
}

func FuzzParseActions(f *testing.F) {
	f.Add([]byte("actions:\n- name: a\n  argv: [/bin/true]\n  timeout: 1m\n"))
	f.Add([]byte(`{"actions": [{"name": "a", "argv": ["/bin/true"], "env": {"X": "1"}}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		as, err := ParseActions(b)
		if err != nil {
			return
		}
		for _, a := range as {
			if a.validate("a") != nil || a.Timeout <= 0 {
				t.Fatalf("ParseActions accepted %+v", a)
			}
		}
	})
}
