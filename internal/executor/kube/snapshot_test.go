package kube

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ackup/ackup/internal/executor/kube/kubetest"
	"github.com/ackup/ackup/internal/kubecfg"
	"github.com/ackup/ackup/internal/upgrade"
)

func TestSnapshot(t *testing.T) {
	e := newKubeEnv(t, 0, nil)
	ctx := t.Context()
	blue := e.ns + "-blue"
	if err := e.agent.AddNode(ctx, e.ns+"-a", fromKubelet, map[string]string{kubecfg.DefaultPoolLabel: blue}); err != nil {
		t.Fatal(err)
	}
	if err := e.agent.AddNode(ctx, e.ns+"-b", "v1.32.7", nil); err != nil {
		t.Fatal(err)
	}
	if err := e.agent.SetReady(ctx, e.ns+"-b", false); err != nil {
		t.Fatal(err)
	}
	if err := e.ex.cordon(ctx, e.ns+"-b", true); err != nil {
		t.Fatal(err)
	}
	live, err := e.ex.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if live.ServerVersion != fromACK || live.KubeVersion != fromKubelet {
		t.Errorf("control plane = %s (%s); want %s from the override ConfigMap", live.ServerVersion, live.KubeVersion, fromACK)
	}
	got := map[string]kubecfg.LiveNode{}
	for _, n := range live.Nodes {
		got[n.Name] = n
	}
	a, b := got[e.ns+"-a"], got[e.ns+"-b"]
	if a.Pool != blue || a.Version != fromACK || a.KubeletVersion != fromKubelet || !a.Ready || a.Unschedulable || a.IP != "127.0.0.1" {
		t.Errorf("node a = %+v; want pool %s, Ready, schedulable at %s", a, blue, fromACK)
	}
	if b.Pool != kubecfg.DefaultPoolName || b.Version != "1.32.7-aliyun.1" || b.Ready || !b.Unschedulable {
		t.Errorf("node b = %+v; want the default pool, NotReady, cordoned at 1.32.7-aliyun.1", b)
	}

	// Without the override, the version is the real API server's.
	cfg := e.ex.Config()
	cfg.ControlPlaneVersionFrom = kubecfg.VersionFromDiscovery
	live, err = Options{Actions: testActions(e.agent)}.Snapshot(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(live.KubeVersion, "v1.3") || upgrade.Minor(live.ServerVersion) == "" {
		t.Errorf("discovery reports %q (%q); want the kube-apiserver's own version", live.KubeVersion, live.ServerVersion)
	}
}

func TestSnapshotBadKubeconfig(t *testing.T) {
	t.Parallel()
	for _, kc := range []string{"", "not: [yaml", "apiVersion: v1\nkind: Config\n"} {
		_, err := Options{}.Snapshot(context.Background(), Config{Kubeconfig: []byte(kc)})
		if !errors.Is(err, kubecfg.ErrInvalid) {
			t.Errorf("Snapshot with kubeconfig %q = %v; want ErrInvalid", kc, err)
		}
	}
	secret := "s3cr3t-token-value"
	_, err := New(Config{Kubeconfig: []byte("apiVersion: v1\nkind: Config\nusers:\n- name: u\n  user:\n    token: " + secret + "\n  bad")}, Options{})
	if err == nil || strings.Contains(err.Error(), secret) {
		t.Errorf("New = %v; want an error that does not quote the kubeconfig", err)
	}
}

func TestCache(t *testing.T) {
	t.Parallel()
	kc, err := kubeconfigFor("https://127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	seal := func(b []byte) []byte { return append([]byte("sealed:"), b...) }
	open := func(b []byte) ([]byte, error) {
		s, ok := strings.CutPrefix(string(b), "sealed:")
		if !ok {
			return nil, errors.New("not sealed")
		}
		return []byte(s), nil
	}
	c := NewCache(open, Options{})
	defer c.Close()
	cl := upgrade.Cluster{ID: "c1", Executor: upgrade.ExecutorKube, ExecutorConfig: seal(Config{Kubeconfig: kc}.Encode())}
	a, err := c.Get(cl)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := c.Get(cl); b != a {
		t.Error("the same cluster got a new executor")
	}
	cl.ExecutorConfig = seal(Config{Kubeconfig: kc, DrainTimeoutPolicy: kubecfg.DrainSkip}.Encode())
	b, err := c.Get(cl)
	if err != nil || b == a || b.Config().DrainTimeoutPolicy != kubecfg.DrainSkip {
		t.Errorf("a changed configuration gave %v, %v; want a new executor with the new policy", b, err)
	}
	if _, err := c.Get(upgrade.Cluster{ID: "c2", Executor: upgrade.ExecutorSim}); err == nil {
		t.Error("a simulated cluster got a kube executor")
	}
	if _, err := c.Get(upgrade.Cluster{ID: "c3", Executor: upgrade.ExecutorKube, ExecutorConfig: []byte("garbage")}); err == nil {
		t.Error("an unreadable configuration gave an executor")
	}
}

func kubeconfigFor(server string) ([]byte, error) {
	return clientcmdWrite(kubetest.KubeconfigFor(server, nil, "t"))
}
