package service_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ackup/ackup/internal/executor"
	"github.com/ackup/ackup/internal/kubecfg"
	"github.com/ackup/ackup/internal/secret"
	"github.com/ackup/ackup/internal/service"
	"github.com/ackup/ackup/internal/store"
	"github.com/ackup/ackup/internal/store/sqlite"
	"github.com/ackup/ackup/internal/upgrade"
)

// kubeconfig is a stand-in credential; the service never parses it.
const kubeconfig = "apiVersion: v1\nkind: Config\nusers:\n- name: admin\n  user:\n    token: TOP-SECRET-TOKEN\n"

func newRegisterService(t *testing.T) (*service.Service, *secret.Box, store.Store) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "ackup.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	box, err := secret.NewBox(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	s, err := service.New(service.Config{Store: st, Box: box,
		Executor: func(upgrade.Cluster) (executor.Executor, error) { return nil, errors.New("no executor in this test") }})
	if err != nil {
		t.Fatal(err)
	}
	return s, box, st
}

func liveCluster() kubecfg.Live {
	return kubecfg.Live{ServerVersion: "1.33.3-aliyun.1", KubeVersion: "v1.33.3", Nodes: []kubecfg.LiveNode{
		{Name: "n1", Pool: "blue", InstanceID: "i-1", IP: "10.0.0.1", InstanceType: "ecs.g7.large", Version: "1.33.3-aliyun.1", KubeletVersion: "v1.33.3", Ready: true},
		{Name: "n2", Pool: "blue", InstanceID: "i-2", IP: "10.0.0.2", InstanceType: "ecs.g7.large", Version: "1.32.7-aliyun.1", KubeletVersion: "v1.32.7", Ready: true, Unschedulable: true},
		{Name: "n3", Pool: kubecfg.DefaultPoolName, InstanceID: "n3", IP: "10.0.0.3", Version: "1.33.3-aliyun.1", KubeletVersion: "v1.33.3"},
	}}
}

func TestRegisterCluster(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, box, st := newRegisterService(t)
	kube := kubecfg.Config{PoolLabel: "example.com/pool", DrainTimeout: 5 * time.Minute, DrainTimeoutPolicy: kubecfg.DrainSkip,
		NodeAction: kubecfg.Action{Type: kubecfg.ActionCommand, Name: "upgrade-node"}}
	created, err := s.RegisterCluster(ctx, "acct", service.RegisterParams{Name: "prod", Kubeconfig: []byte(kubeconfig), Kube: kube, Live: liveCluster()})
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.DescribeCluster(ctx, "acct", created.ClusterID)
	if err != nil {
		t.Fatal(err)
	}
	if v.ClusterType != upgrade.TypeExternalKubernetes || v.Executor != upgrade.ExecutorKube || v.State != upgrade.ClusterRunning ||
		v.CurrentVersion != "1.33.3-aliyun.1" || v.RegionID != service.DefaultRegion || v.Size != 3 {
		t.Errorf("registered cluster = %+v", v)
	}
	if bytes.Contains(v.ExecutorConfig, []byte("TOP-SECRET-TOKEN")) {
		t.Fatal("the kubeconfig is stored in the clear")
	}
	plain, err := box.Open(v.ExecutorConfig)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := kubecfg.Decode(plain)
	if err != nil {
		t.Fatal(err)
	}
	if string(cfg.Kubeconfig) != kubeconfig || cfg.PoolLabel != "example.com/pool" || cfg.DrainTimeoutPolicy != kubecfg.DrainSkip ||
		cfg.NodeAction.Name != "upgrade-node" || cfg.ControlPlaneAction.Type != kubecfg.ActionWait {
		t.Errorf("sealed configuration = %+v", cfg)
	}
	if opened, err := s.ClusterKubeConfig(ctx, "acct", created.ClusterID); err != nil || string(opened.Kubeconfig) != kubeconfig {
		t.Errorf("ClusterKubeConfig = %v; want the registered kubeconfig", err)
	}
	if _, err := s.ClusterKubeConfig(ctx, "other", created.ClusterID); err == nil {
		t.Error("another account opened the kubeconfig")
	}

	pools, err := s.ListNodePools(ctx, "acct", created.ClusterID, "")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]service.NodePoolView{}
	for _, p := range pools {
		got[p.Name] = p
	}
	blue, def := got["blue"], got[kubecfg.DefaultPoolName]
	if len(pools) != 2 || blue.TotalNodes != 2 || blue.HealthyNodes != 2 || blue.ServingNodes != 1 || blue.Version != "1.32.7-aliyun.1" ||
		blue.IsDefault || !def.IsDefault || def.TotalNodes != 1 || def.FailedNodes != 1 {
		t.Errorf("node pools = %+v", pools)
	}
	nodes, total, err := s.ListNodes(ctx, "acct", upgrade.NodeListParams{ClusterID: created.ClusterID})
	if err != nil || total != 3 {
		t.Fatalf("ListNodes = %d, %v", total, err)
	}
	for _, n := range nodes {
		if n.Name == "n2" && (!n.Unschedulable || n.Version != "1.32.7-aliyun.1" || n.Status != upgrade.NodeReady || n.NodePoolID != blue.ID) {
			t.Errorf("node n2 = %+v", n)
		}
		if n.Name == "n3" && (n.Status != upgrade.NodeNotReady || n.NodePoolID != def.ID) {
			t.Errorf("node n3 = %+v", n)
		}
	}
	task, err := s.DescribeTask(ctx, "acct", created.TaskID)
	if err != nil || task.State != upgrade.TaskSuccess || len(task.Events) != 1 || task.Events[0].Reason != "ClusterRegistered" {
		t.Errorf("registration task = %+v, %v", task, err)
	}
	if _, err := st.TaskActive(ctx, created.ClusterID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the registration left an active task: %v", err)
	}
}

func TestRegisterClusterInvalid(t *testing.T) {
	t.Parallel()
	s, _, _ := newRegisterService(t)
	good := service.RegisterParams{Name: "prod", Kubeconfig: []byte(kubeconfig), Live: liveCluster()}
	for _, tc := range []struct {
		name string
		mod  func(*service.RegisterParams)
		kind upgrade.Kind
		says string
	}{
		{"no name", func(p *service.RegisterParams) { p.Name = "" }, upgrade.KindMissing, "name"},
		{"bad name", func(p *service.RegisterParams) { p.Name = "-x" }, upgrade.KindInvalid, "name"},
		{"no kubeconfig", func(p *service.RegisterParams) { p.Kubeconfig = nil }, upgrade.KindMissing, "kubeconfig"},
		{"huge kubeconfig", func(p *service.RegisterParams) { p.Kubeconfig = make([]byte, kubecfg.MaxKubeconfigSize+1) }, upgrade.KindInvalid, "kubeconfig"},
		{"bad policy", func(p *service.RegisterParams) { p.Kube.DrainTimeoutPolicy = "ignore" }, upgrade.KindInvalid, "drain_timeout_policy"},
		{"command without a name", func(p *service.RegisterParams) { p.Kube.NodeAction.Type = kubecfg.ActionCommand }, upgrade.KindInvalid, "node_action"},
		{"unread cluster", func(p *service.RegisterParams) { p.Live = kubecfg.Live{} }, upgrade.KindInvalid, "version"},
		{"twice the same node", func(p *service.RegisterParams) { p.Live.Nodes = append(p.Live.Nodes, p.Live.Nodes[0]) }, upgrade.KindInvalid, "n1"},
	} {
		p := good
		p.Live.Nodes = append([]kubecfg.LiveNode(nil), good.Live.Nodes...)
		tc.mod(&p)
		_, err := s.RegisterCluster(context.Background(), "acct", p)
		e, ok := upgrade.AsError(err)
		if !ok || e.Kind != tc.kind || !strings.Contains(e.Message, tc.says) {
			t.Errorf("%s: RegisterCluster = %v; want a kind %d error about %s", tc.name, err, tc.kind, tc.says)
			continue
		}
		if strings.Contains(e.Message, "TOP-SECRET-TOKEN") {
			t.Errorf("%s: the error quotes the kubeconfig: %s", tc.name, e.Message)
		}
	}
}

func TestSyncCluster(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _, _ := newRegisterService(t)
	created, err := s.RegisterCluster(ctx, "acct", service.RegisterParams{Name: "prod", Kubeconfig: []byte(kubeconfig), Live: liveCluster()})
	if err != nil {
		t.Fatal(err)
	}
	live := liveCluster()
	live.ServerVersion, live.KubeVersion = "1.34.1-aliyun.1", "v1.34.1"
	live.Nodes[0].Version, live.Nodes[0].Unschedulable = "1.34.1-aliyun.1", true
	live.Nodes = append(live.Nodes[:2], kubecfg.LiveNode{Name: "n4", Pool: "green", InstanceID: "n4", Version: "1.34.1-aliyun.1", Ready: true})
	synced, err := s.SyncCluster(ctx, "acct", created.ClusterID, live)
	if err != nil || !synced {
		t.Fatalf("SyncCluster = %v, %v", synced, err)
	}
	v, err := s.DescribeCluster(ctx, "acct", created.ClusterID)
	if err != nil || v.CurrentVersion != "1.34.1-aliyun.1" {
		t.Fatalf("after sync the cluster is %+v, %v", v.Cluster, err)
	}
	nodes, _, err := s.ListNodes(ctx, "acct", upgrade.NodeListParams{ClusterID: created.ClusterID})
	if err != nil {
		t.Fatal(err)
	}
	state := map[string]upgrade.Node{}
	for _, n := range nodes {
		state[n.Name] = n
	}
	if n := state["n1"]; n.Version != "1.34.1-aliyun.1" || !n.Unschedulable {
		t.Errorf("n1 after sync = %+v", n)
	}
	if n := state["n3"]; n.State != "removed" || n.Status != upgrade.NodeNotReady {
		t.Errorf("n3, gone from the cluster, = %+v", n)
	}
	if _, ok := state["n4"]; !ok || len(nodes) != 4 {
		t.Errorf("nodes after sync = %+v; want n4 added", nodes)
	}
	pools, err := s.ListNodePools(ctx, "acct", created.ClusterID, "green")
	if err != nil || len(pools) != 1 || pools[0].TotalNodes != 1 {
		t.Errorf("pool green = %+v, %v", pools, err)
	}
}
