package kubecfg

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"zero", Config{}, true},
		{"named", Config{NodeAction: Action{Type: ActionCommand, Name: "kubeadm-node"}}, true},
		{"name alone", Config{NodeAction: Action{Name: "kubeadm-node"}}, true},
		{"command without name", Config{NodeAction: Action{Type: ActionCommand}}, false},
		{"name not a name", Config{NodeAction: Action{Type: ActionCommand, Name: "/bin/sh -c id"}}, false},
		{"wait with name", Config{ControlPlaneAction: Action{Type: ActionWait, Name: "x"}}, false},
		{"unknown action", Config{NodeAction: Action{Type: "reboot"}}, false},
		{"policy", Config{DrainTimeoutPolicy: "ignore"}, false},
		{"version source", Config{ControlPlaneVersionFrom: "annotation"}, false},
		{"negative timeout", Config{DrainTimeout: -time.Second}, false},
		{"label", Config{PoolLabel: "my pool"}, false},
		{"huge kubeconfig", Config{Kubeconfig: make([]byte, MaxKubeconfigSize+1)}, false},
	} {
		err := tc.cfg.Validate()
		if (err == nil) != tc.ok {
			t.Errorf("%s: Validate = %v; want ok=%v", tc.name, err, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v does not wrap ErrInvalid", tc.name, err)
		}
	}
}

func TestEncodeDecodeDefaults(t *testing.T) {
	t.Parallel()
	in := Config{Kubeconfig: []byte("kc"), NodeAction: Action{Type: ActionCommand, Name: "b", Timeout: time.Minute}, DrainTimeoutPolicy: DrainFail}
	out, err := Decode(in.Encode())
	if err != nil {
		t.Fatal(err)
	}
	if string(out.Kubeconfig) != "kc" || out.NodeAction.Name != "b" || out.NodeAction.Timeout != time.Minute || out.DrainTimeoutPolicy != DrainFail {
		t.Errorf("round trip lost fields: %+v", out)
	}
	if out.PoolLabel != DefaultPoolLabel || out.DrainTimeout != DefaultDrainTimeout || out.ControlPlaneAction.Type != ActionWait ||
		out.ControlPlaneAction.Timeout != DefaultActionTimeout || out.NodeReadyTimeout != DefaultNodeReadyTimeout || out.ControlPlaneVersionFrom != VersionFromDiscovery {
		t.Errorf("defaults not applied: %+v", out)
	}
	if _, err := Decode([]byte("{")); !errors.Is(err, ErrInvalid) {
		t.Errorf("Decode of garbage = %v; want ErrInvalid", err)
	}
}

func TestLivePools(t *testing.T) {
	t.Parallel()
	l := Live{Nodes: []LiveNode{{Pool: "b"}, {Pool: "a"}, {Pool: "b"}}}
	if got := l.Pools(); len(got) != 2 || got[0] != "b" || got[1] != "a" {
		t.Errorf("Pools = %v; want [b a]", got)
	}
	if got := (Live{}).Pools(); len(got) != 1 || got[0] != DefaultPoolName {
		t.Errorf("Pools of no nodes = %v; want the default pool", got)
	}
}

func TestConfigJSON(t *testing.T) {
	t.Parallel()
	c, err := Decode([]byte(`{"pool_label": "example.com/pool", "drain_timeout": "15m", "node_ready_timeout": 60000000000,
		"drain_timeout_policy": "skip",
		"node_action": {"type": "command", "name": "upgrade", "timeout": "1h"},
		"control_plane_action": {"type": "wait"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.DrainTimeout != 15*time.Minute || c.NodeReadyTimeout != time.Minute || c.NodeAction.Timeout != time.Hour ||
		c.NodeAction.Name != "upgrade" || c.PoolLabel != "example.com/pool" || c.DrainTimeoutPolicy != DrainSkip {
		t.Errorf("decoded %+v", c)
	}
	enc := string(c.Encode())
	for _, want := range []string{`"drain_timeout":"15m0s"`, `"timeout":"1h0m0s"`, `"node_ready_timeout":"1m0s"`} {
		if !strings.Contains(enc, want) {
			t.Errorf("encoded %s lacks %s", enc, want)
		}
	}
	back, err := Decode([]byte(enc))
	if err != nil || back.DrainTimeout != c.DrainTimeout || back.NodeAction.Timeout != time.Hour {
		t.Errorf("round trip = %+v, %v", back, err)
	}
	for _, bad := range []string{`{"drain_timeout": "soon"}`, `{"node_action": {"timeout": true}}`} {
		if _, err := Decode([]byte(bad)); !errors.Is(err, ErrInvalid) {
			t.Errorf("Decode(%s) = %v; want ErrInvalid", bad, err)
		}
	}
}

// TestDecodeOpensUnnamedCommands: a configuration stored before actions
// were named (a program in "command") still opens, with no program, so
// that its step can fail saying why.
func TestDecodeOpensUnnamedCommands(t *testing.T) {
	t.Parallel()
	c, err := Decode([]byte(`{"node_action": {"type": "command", "command": ["/bin/sh", "-c", "id"]}}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.NodeAction.Type != ActionCommand || c.NodeAction.Name != "" || c.NodeAction.Timeout != 0 {
		t.Errorf("decoded %+v", c.NodeAction)
	}
	if err := c.Validate(); !errors.Is(err, ErrInvalid) {
		t.Errorf("Validate = %v; want the missing name refused", err)
	}
}
