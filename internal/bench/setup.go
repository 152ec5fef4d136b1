package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	cs "github.com/alibabacloud-go/cs-20151215/v7/client"
	"github.com/alibabacloud-go/tea/dara"

	"github.com/ackup/ackup/internal/server"
	"github.com/ackup/ackup/internal/upgrade"
)

// LocalServer is an ackup started in this process for a benchmark.
type LocalServer struct {
	*server.Server
	// Credentials are the AccessKey registered for the benchmark.
	Credentials Credentials
	tmp         string // removed on Close when the database is temporary
}

// StartServer starts ackup in this process on a free loopback port, with
// its database at db ("" for a new file in a temporary directory, removed
// on Close), simulating at simSpeed, with a freshly generated AccessKey.
func StartServer(ctx context.Context, db string, simSpeed float64, logger *slog.Logger) (*LocalServer, error) {
	l := &LocalServer{}
	if db == "" {
		dir, err := os.MkdirTemp("", "ackup-bench-")
		if err != nil {
			return nil, err
		}
		l.tmp, db = dir, filepath.Join(dir, "ackup.db")
	}
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	l.Credentials = Credentials{AccessKeyID: "LTAIbench" + hex.EncodeToString(b[:8]), AccessKeySecret: hex.EncodeToString(b[8:])}
	srv, err := server.Open(ctx, server.Config{Addr: "127.0.0.1:0", DB: db, SimSpeed: simSpeed, Logger: logger,
		AccessKeyID: l.Credentials.AccessKeyID, AccessKeySecret: l.Credentials.AccessKeySecret})
	if err == nil {
		err = srv.Start(ctx)
		if err != nil {
			_ = srv.Shutdown(context.Background())
		}
	}
	if err != nil {
		l.removeTemp()
		return nil, err
	}
	l.Server = srv
	return l, nil
}

// Close shuts the server down and removes a temporary database.
func (l *LocalServer) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := l.Shutdown(ctx)
	l.removeTemp()
	return err
}

func (l *LocalServer) removeTemp() {
	if l.tmp != "" {
		_ = os.RemoveAll(l.tmp)
	}
}

// ClusterIDs lists every live cluster in the server's database, oldest
// first (to read a database an earlier run filled).
func (l *LocalServer) ClusterIDs(ctx context.Context) ([]string, error) {
	const page = 1000
	var ids []string
	for {
		cs, _, err := l.Store.ClusterList(ctx, upgrade.ClusterListParams{Offset: len(ids), Limit: page})
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			ids = append(ids, c.ID)
		}
		if len(cs) < page {
			return ids, nil
		}
	}
}

// UpgradePath returns the versions simulated clusters are created at and
// upgraded to: the newest creatable version that has a newer one to go to,
// and the newest of those.
func UpgradePath() (from, to string) {
	cat := upgrade.Catalogue()
	for i := len(cat) - 1; i >= 0; i-- {
		if !cat[i].Creatable {
			continue
		}
		if targets := upgrade.UpgradableVersions(cat[i].Name); len(targets) > 0 {
			return cat[i].Name, targets[len(targets)-1]
		}
	}
	return "", ""
}

// Setup says which clusters to create through the SDK.
type Setup struct {
	Endpoint    string
	Credentials Credentials
	// Clusters and Nodes: how many clusters, with one node pool of how
	// many nodes each.
	Clusters, Nodes int
	// Concurrency is how many SDK calls are in flight (default 16).
	Concurrency int
	// Progress, when set, is told how far the setup is.
	Progress func(msg string)
}

// CreateClusters creates the simulated clusters at UpgradePath's first
// version and returns their ids, in creation order.
func CreateClusters(ctx context.Context, s Setup) ([]string, error) {
	from, _ := UpgradePath()
	ids := make([]string, s.Clusters)
	name := "bench-" + time.Now().UTC().Format("20060102-150405")
	err := s.each(ctx, "created", func(c *cs.Client, i int) error {
		req := &cs.CreateClusterRequest{Name: dara.String(fmt.Sprintf("%s-%d", name, i+1)), RegionId: dara.String("cn-hangzhou"),
			ClusterType: dara.String("ManagedKubernetes"), KubernetesVersion: dara.String(from),
			Nodepools: []*cs.Nodepool{{NodepoolInfo: &cs.NodepoolNodepoolInfo{Name: dara.String("default-nodepool")},
				ScalingGroup: &cs.NodepoolScalingGroup{DesiredSize: dara.Int64(int64(s.Nodes)),
					InstanceTypes: []*string{dara.String("ecs.g7.xlarge")}, VswitchIds: []*string{dara.String("vsw-bench")}}}}}
		resp, err := c.CreateCluster(req)
		if err != nil {
			return fmt.Errorf("create cluster %d: %w", i+1, err)
		}
		ids[i] = dara.StringValue(resp.Body.ClusterId)
		return nil
	})
	return ids, err
}

// WaitRunning waits until every cluster is running, asking each in turn.
func WaitRunning(ctx context.Context, s Setup, ids []string) error {
	return s.eachOf(ctx, "running", ids, func(c *cs.Client, id string) error {
		for {
			d, err := c.DescribeClusterDetail(dara.String(id))
			if err != nil {
				return fmt.Errorf("describe cluster %s: %w", id, err)
			}
			switch st := dara.StringValue(d.Body.State); st {
			case "running":
				return nil
			case "failed", "deleted", "deleting":
				return fmt.Errorf("cluster %s is %s", id, st)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(250 * time.Millisecond):
			}
		}
	})
}

// StartUpgrades starts an upgrade of every cluster to UpgradePath's second
// version.
func StartUpgrades(ctx context.Context, s Setup, ids []string) error {
	_, to := UpgradePath()
	return s.eachOf(ctx, "upgrading", ids, func(c *cs.Client, id string) error {
		if _, err := c.UpgradeCluster(dara.String(id), &cs.UpgradeClusterRequest{NextVersion: dara.String(to)}); err != nil {
			return fmt.Errorf("upgrade cluster %s: %w", id, err)
		}
		return nil
	})
}

func (s Setup) eachOf(ctx context.Context, what string, ids []string, fn func(c *cs.Client, id string) error) error {
	saved := s
	saved.Clusters = len(ids)
	return saved.each(ctx, what, func(c *cs.Client, i int) error { return fn(c, ids[i]) })
}

// each calls fn for 0..Clusters-1 on Concurrency goroutines, each with its
// own SDK client, stopping at the first error.
func (s Setup) each(ctx context.Context, what string, fn func(c *cs.Client, i int) error) error {
	conc := s.Concurrency
	if conc <= 0 {
		conc = 16
	}
	progress := s.Progress
	if progress == nil {
		progress = func(string) {}
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var next, done atomic.Int64
	var wg sync.WaitGroup
	report := time.Now()
	var mu sync.Mutex
	for range min(conc, max(s.Clusters, 1)) {
		c, err := newClient(s.Endpoint, s.Credentials, nil)
		if err != nil {
			return err
		}
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= s.Clusters {
					return
				}
				if err := fn(c, i); err != nil {
					cancel(err)
					return
				}
				n := done.Add(1)
				mu.Lock()
				if time.Since(report) > 5*time.Second {
					report = time.Now()
					progress(fmt.Sprintf("%d of %d clusters %s", n, s.Clusters, what))
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return ctx.Err()
}
