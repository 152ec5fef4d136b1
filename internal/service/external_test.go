package service_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ackup/ackup/internal/executor"
	"github.com/ackup/ackup/internal/kubecfg"
	"github.com/ackup/ackup/internal/secret"
	"github.com/ackup/ackup/internal/service"
	"github.com/ackup/ackup/internal/store/sqlite"
	"github.com/ackup/ackup/internal/upgrade"
)

// These tests stand in for the Kubernetes cluster with functions; the
// real thing (a kube-apiserver) is read in internal/e2e and cmd/ackup.

// liveFake is a registered cluster's live state as Config.Snapshot and
// Config.Live report it, with a count of the reads.
type liveFake struct {
	mu    sync.Mutex
	live  kubecfg.Live
	err   error
	reads int
	seen  kubecfg.Config // the configuration Snapshot was given
}

func (f *liveFake) snapshot(_ context.Context, cfg kubecfg.Config) (kubecfg.Live, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seen = cfg
	return f.live, f.err
}

func (f *liveFake) read(_ context.Context, c upgrade.Cluster) (kubecfg.Live, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads++
	if c.Executor != upgrade.ExecutorKube {
		return kubecfg.Live{}, fmt.Errorf("cluster %s is not registered", c.ID)
	}
	return f.live, f.err
}

func (f *liveFake) set(mod func(*liveFake)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	mod(f)
}

func (f *liveFake) readCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reads
}

// stepClock is a clock the test moves.
type stepClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *stepClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type externalEnv struct {
	svc   *service.Service
	live  *liveFake
	clock *stepClock
	logs  *bytes.Buffer
	logMu *sync.Mutex
}

func newExternalService(t *testing.T) *externalEnv {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "ackup.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	box, err := secret.NewBox(bytes.Repeat([]byte{9}, 32))
	if err != nil {
		t.Fatal(err)
	}
	e := &externalEnv{live: &liveFake{live: liveCluster()}, clock: &stepClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)},
		logs: &bytes.Buffer{}, logMu: &sync.Mutex{}}
	e.svc, err = service.New(service.Config{Store: st, Box: box, Now: e.clock.Now,
		Executor: func(upgrade.Cluster) (executor.Executor, error) { return nil, errors.New("no executor in this test") },
		Snapshot: e.live.snapshot, Live: e.live.read,
		Logger: slog.New(slog.NewTextHandler(lockedBuffer{e.logMu, e.logs}, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

type lockedBuffer struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (l lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (e *externalEnv) logged() string {
	e.logMu.Lock()
	defer e.logMu.Unlock()
	return e.logs.String()
}

func TestRegisterExternal(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newExternalService(t)
	kube := kubecfg.Config{Kubeconfig: []byte(kubeconfig), PoolLabel: "example.com/pool", ControlPlaneVersionFrom: kubecfg.VersionFromConfigMap}
	created, err := e.svc.RegisterExternal(ctx, "acct", service.ExternalParams{Name: "prod", Tags: []upgrade.Tag{{Key: "env", Value: "prod"}}, Kube: kube})
	if err != nil {
		t.Fatal(err)
	}
	if seen := e.live.seen; string(seen.Kubeconfig) != kubeconfig || seen.PoolLabel != "example.com/pool" || seen.ControlPlaneVersionFrom != kubecfg.VersionFromConfigMap {
		t.Errorf("Snapshot was given %+v; want the registered configuration", seen)
	}
	v, err := e.svc.DescribeCluster(ctx, "acct", created.ClusterID)
	if err != nil {
		t.Fatal(err)
	}
	if v.ClusterType != upgrade.TypeExternalKubernetes || v.Executor != upgrade.ExecutorKube || v.CurrentVersion != "1.33.3-aliyun.1" ||
		v.Size != 3 || v.RegionID != service.DefaultRegion || len(v.Tags) != 1 {
		t.Errorf("registered cluster = %+v", v)
	}
	opened, err := e.svc.ClusterKubeConfig(ctx, "acct", created.ClusterID)
	if err != nil || string(opened.Kubeconfig) != kubeconfig || opened.PoolLabel != "example.com/pool" {
		t.Errorf("sealed configuration = %+v, %v", opened, err)
	}
}

func TestRegisterExternalRefuses(t *testing.T) {
	t.Parallel()
	good := service.ExternalParams{Name: "prod", Kube: kubecfg.Config{Kubeconfig: []byte(kubeconfig)}}
	for _, tc := range []struct {
		name     string
		mod      func(*service.ExternalParams)
		snapErr  error
		kind     upgrade.Kind
		says     string
		snapshot bool // whether the cluster is read at all
	}{
		{name: "no name", mod: func(p *service.ExternalParams) { p.Name = "" }, kind: upgrade.KindMissing, says: "name"},
		{name: "bad name", mod: func(p *service.ExternalParams) { p.Name = "no spaces" }, kind: upgrade.KindInvalid, says: "name"},
		{name: "no kubeconfig", mod: func(p *service.ExternalParams) { p.Kube.Kubeconfig = []byte(" \n") }, kind: upgrade.KindMissing, says: "kubeconfig"},
		{name: "tag without key", mod: func(p *service.ExternalParams) { p.Tags = []upgrade.Tag{{Value: "v"}} }, kind: upgrade.KindMissing, says: "tags[0].key"},
		{name: "bad policy", mod: func(p *service.ExternalParams) { p.Kube.DrainTimeoutPolicy = "ignore" }, kind: upgrade.KindInvalid, says: "drain_timeout_policy"},
		{name: "malformed kubeconfig", snapErr: kubecfg.Invalidf("the kubeconfig cannot be used: yaml: line 2: did not find expected key near TOP-SECRET-TOKEN"),
			kind: upgrade.KindInvalid, says: "the kubeconfig cannot be used", snapshot: true},
		{name: "unreachable", snapErr: &kubecfg.ReachError{Reason: "the connection was refused",
			Err: errors.New(`read the API server's version: Get "https://10.0.0.1:6443/version": dial tcp 10.0.0.1:6443: connect: connection refused`)},
			kind: upgrade.KindInvalid, says: "could not be reached with this kubeconfig: the connection was refused", snapshot: true},
		{name: "banner", snapErr: &kubecfg.ReachError{Reason: "the server did not answer as a Kubernetes API server does",
			Err: errors.New(`Get "http://10.0.0.9:22/version": net/http: HTTP/1.x transport connection broken: malformed HTTP response "SSH-2.0-OpenSSH_9.2p1 internal-bastion"`)},
			kind: upgrade.KindInvalid, says: "did not answer as a Kubernetes API server does", snapshot: true},
		{name: "unclassified", snapErr: errors.New("list nodes: Unauthorized (bearer TOP-SECRET-TOKEN)"),
			kind: upgrade.KindInvalid, says: "could not be reached with this kubeconfig: the request failed", snapshot: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newExternalService(t)
			e.live.err = tc.snapErr
			p := good
			if tc.mod != nil {
				tc.mod(&p)
			}
			_, err := e.svc.RegisterExternal(context.Background(), "acct", p)
			ue, ok := upgrade.AsError(err)
			if !ok || ue.Kind != tc.kind || !strings.Contains(ue.Message, tc.says) {
				t.Fatalf("RegisterExternal = %v; want a kind %d error saying %q", err, tc.kind, tc.says)
			}
			if strings.Contains(ue.Message, "TOP-SECRET-TOKEN") || strings.Contains(ue.Message, "apiVersion") {
				t.Errorf("the error quotes the kubeconfig: %s", ue.Message)
			}
			for _, inner := range []string{"10.0.0", "SSH-2.0", "dial tcp"} {
				if strings.Contains(ue.Message, inner) {
					t.Errorf("the error echoes what the cluster's address answered (%q): %s", inner, ue.Message)
				}
			}
			if read := e.live.seen.Kubeconfig != nil; read != tc.snapshot {
				t.Errorf("the cluster was read: %v; want %v", read, tc.snapshot)
			}
			if list, _, _ := e.svc.ListClusters(context.Background(), "acct", upgrade.ClusterListParams{}); len(list) != 0 {
				t.Errorf("a refused registration recorded %d clusters", len(list))
			}
		})
	}
}

func TestReadsRefreshRegisteredClusters(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newExternalService(t)
	created, err := e.svc.RegisterExternal(ctx, "acct", service.ExternalParams{Name: "prod", Kube: kubecfg.Config{Kubeconfig: []byte(kubeconfig)}})
	if err != nil {
		t.Fatal(err)
	}
	id := created.ClusterID

	// The cluster changes: a new control plane version, n1 cordoned and
	// NotReady.
	e.live.set(func(f *liveFake) {
		f.live = liveCluster()
		f.live.ServerVersion, f.live.KubeVersion = "1.34.1-aliyun.1", "v1.34.1"
		f.live.Nodes[0].Unschedulable, f.live.Nodes[0].Ready = true, false
	})
	v, err := e.svc.DescribeCluster(ctx, "acct", id)
	if err != nil || v.CurrentVersion != "1.34.1-aliyun.1" {
		t.Fatalf("DescribeCluster = %+v, %v; want the live version", v.Cluster, err)
	}
	nodes, _, err := e.svc.ListNodes(ctx, "acct", upgrade.NodeListParams{ClusterID: id})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		if n.Name == "n1" && (!n.Unschedulable || n.Status != upgrade.NodeNotReady) {
			t.Errorf("n1 = %+v; want cordoned and NotReady", n)
		}
	}
	if _, err := e.svc.ListNodePools(ctx, "acct", id, ""); err != nil {
		t.Fatal(err)
	}
	if got := e.live.readCount(); got != 1 {
		t.Errorf("three reads within %s read the cluster %d times; want once", 2*time.Second, got)
	}

	// Two seconds on, a read refreshes again and sees n1 back.
	e.live.set(func(f *liveFake) { f.live.Nodes[0].Unschedulable, f.live.Nodes[0].Ready = false, true })
	e.clock.advance(2 * time.Second)
	nodes, _, err = e.svc.ListNodes(ctx, "acct", upgrade.NodeListParams{ClusterID: id})
	if err != nil || e.live.readCount() != 2 {
		t.Fatalf("ListNodes = %v after %d reads; want a second read", err, e.live.readCount())
	}
	for _, n := range nodes {
		if n.Name == "n1" && (n.Unschedulable || n.Status != upgrade.NodeReady) {
			t.Errorf("n1 = %+v; want schedulable and Ready again", n)
		}
	}

	// An unreachable cluster: reads answer the recorded view and log why.
	e.live.set(func(f *liveFake) {
		f.err = errors.New(`list nodes: Get "https://10.0.0.1:6443/api/v1/nodes": dial tcp 10.0.0.1:6443: i/o timeout`)
	})
	e.clock.advance(2 * time.Second)
	v, err = e.svc.DescribeCluster(ctx, "acct", id)
	if err != nil || v.CurrentVersion != "1.34.1-aliyun.1" {
		t.Fatalf("DescribeCluster of an unreachable cluster = %+v, %v; want the recorded view", v.Cluster, err)
	}
	logs := e.logged()
	if !strings.Contains(logs, "i/o timeout") || !strings.Contains(logs, id) {
		t.Errorf("the failed refresh is not logged with its reason and cluster:\n%s", logs)
	}
	if strings.Contains(logs, "TOP-SECRET-TOKEN") {
		t.Errorf("the log holds the kubeconfig's token:\n%s", logs)
	}

	// Another account's read neither refreshes nor finds it.
	e.clock.advance(2 * time.Second)
	before := e.live.readCount()
	if _, err := e.svc.DescribeCluster(ctx, "other", id); err == nil {
		t.Error("another account read the cluster")
	}
	if e.live.readCount() != before {
		t.Error("another account's read refreshed the cluster")
	}
}

func TestReadsLeaveSimulatedClustersAlone(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newExternalService(t)
	created, err := e.svc.CreateCluster(ctx, "acct", service.CreateClusterParams{Name: "sim", RegionID: "cn-hangzhou", NumOfNodes: 1})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := e.svc.DescribeCluster(ctx, "acct", created.ClusterID); err != nil {
			t.Fatal(err)
		}
		e.clock.advance(time.Minute)
	}
	if n := e.live.readCount(); n != 0 {
		t.Errorf("a simulated cluster was read live %d times", n)
	}
}
