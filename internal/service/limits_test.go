package service_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ackup/ackup/internal/executor"
	"github.com/ackup/ackup/internal/secret"
	"github.com/ackup/ackup/internal/service"
	"github.com/ackup/ackup/internal/store"
	"github.com/ackup/ackup/internal/store/sqlite"
	"github.com/ackup/ackup/internal/upgrade"
)

func newLimitedService(t *testing.T, maxClusters int) (*service.Service, store.Store) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "ackup.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	box, _ := secret.NewBox(bytes.Repeat([]byte{7}, 32))
	s, err := service.New(service.Config{Store: st, Box: box, MaxClustersPerAccount: maxClusters,
		Executor: func(upgrade.Cluster) (executor.Executor, error) { return nil, errors.New("no executor in this test") }})
	if err != nil {
		t.Fatal(err)
	}
	return s, st
}

func many(n int, prefix string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%d", prefix, i)
	}
	return out
}

// CreateCluster stored 10,000 tags, vSwitch ids or instance types.
func TestCreateClusterBoundsItsLists(t *testing.T) {
	s, st := newLimitedService(t, 0)
	manyTags := make([]upgrade.Tag, 10000)
	for i := range manyTags {
		manyTags[i] = upgrade.Tag{Key: fmt.Sprintf("k%d", i), Value: "v"}
	}
	base := func() service.CreateClusterParams {
		return service.CreateClusterParams{Name: "demo", RegionID: "cn-hangzhou",
			NodePools: []service.NodePoolSpec{{Name: "pool", DesiredSize: 1}}}
	}
	for _, tc := range []struct {
		field string
		edit  func(p *service.CreateClusterParams)
	}{
		{"tags", func(p *service.CreateClusterParams) { p.Tags = manyTags }},
		{"tags", func(p *service.CreateClusterParams) { p.Tags = manyTags[:21] }},
		{"tags[0]", func(p *service.CreateClusterParams) { p.Tags = []upgrade.Tag{{Key: strings.Repeat("k", 129)}} }},
		{"vswitch_ids", func(p *service.CreateClusterParams) { p.VSwitchIDs = many(10000, "vsw-") }},
		{"worker_instance_types", func(p *service.CreateClusterParams) { p.WorkerInstanceTypes = many(10000, "ecs.g7.") }},
		{"nodepools[0].scaling_group.vswitch_ids", func(p *service.CreateClusterParams) { p.NodePools[0].VSwitchIDs = many(10000, "vsw-") }},
		{"nodepools[0].scaling_group.instance_types", func(p *service.CreateClusterParams) { p.NodePools[0].InstanceTypes = many(10000, "ecs.g7.") }},
		{"nodepools[0].scaling_group.instance_types[0]", func(p *service.CreateClusterParams) {
			p.NodePools[0].InstanceTypes = []string{strings.Repeat("x", 10000)}
		}},
	} {
		p := base()
		tc.edit(&p)
		_, err := s.CreateCluster(t.Context(), "acct", p)
		e, ok := upgrade.AsError(err)
		if !ok || e.Kind != upgrade.KindInvalid || !strings.HasPrefix(e.Message, tc.field) {
			t.Errorf("%s: got %v, want InvalidParameter naming the field", tc.field, err)
		}
	}
	p := base()
	p.Tags, p.VSwitchIDs, p.NodePools[0].InstanceTypes = manyTags[:20], many(5, "vsw-"), many(10, "ecs.g7.")
	if _, err := s.CreateCluster(t.Context(), "acct", p); err != nil {
		t.Fatalf("a cluster at every limit: %v", err)
	}
	if _, n, _ := st.ClusterList(t.Context(), upgrade.ClusterListParams{AccountID: "acct", Limit: 1}); n != 1 {
		t.Fatalf("%d clusters stored, want only the one within limits", n)
	}
}

func TestClusterQuotaPerAccount(t *testing.T) {
	s, st := newLimitedService(t, 2)
	create := func(account string) error {
		_, err := s.CreateCluster(t.Context(), account, service.CreateClusterParams{Name: "demo", RegionID: "cn-hangzhou"})
		return err
	}
	for i := 0; i < 2; i++ {
		if err := create("acct-a"); err != nil {
			t.Fatal(err)
		}
	}
	err := create("acct-a")
	if e, ok := upgrade.AsError(err); !ok || e.Kind != upgrade.KindQuota || !strings.Contains(e.Message, "--max-clusters-per-account") {
		t.Fatalf("third cluster of a two-cluster quota: %v, want a quota error", err)
	}
	if _, n, _ := st.ClusterList(t.Context(), upgrade.ClusterListParams{AccountID: "acct-a", Limit: 1}); n != 2 {
		t.Fatalf("%d clusters after a refused create, want 2", n)
	}
	if err := create("acct-b"); err != nil {
		t.Fatalf("another account is not limited by acct-a's clusters: %v", err)
	}
}
