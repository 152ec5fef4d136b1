package storetest

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ackup/ackup/internal/store"
	"github.com/ackup/ackup/internal/upgrade"
)

func testAccessKeys(t *testing.T, open func(*testing.T) store.Store) {
	s := open(t)
	ctx := t.Context()

	_, err := s.AccessKeyGet(ctx, "LTAI-missing")
	isErr(t, "get missing key", err, store.ErrNotFound)
	keys, err := s.AccessKeyList(ctx)
	ok(t, err)
	if len(keys) != 0 {
		t.Errorf("empty store lists %d keys", len(keys))
	}

	a := upgrade.AccessKey{ID: "LTAI-a", AccountID: "acct-1", SecretEnc: []byte{1, 2, 0, 255}, Active: true, Created: at(0)}
	b := upgrade.AccessKey{ID: "LTAI-b", AccountID: "acct-2", SecretEnc: []byte("sealed"), Active: false, Created: at(time.Hour)}
	ok(t, s.AccessKeyPut(ctx, a))
	ok(t, s.AccessKeyPut(ctx, b))
	got, err := s.AccessKeyGet(ctx, a.ID)
	ok(t, err)
	checkEqual(t, "access key", a, got)
	checkUTC(t, "access key", got)

	// Put replaces.
	a.AccountID, a.SecretEnc, a.Active, a.Created = "acct-3", []byte("rotated"), false, at(2*time.Hour)
	ok(t, s.AccessKeyPut(ctx, a))
	got, err = s.AccessKeyGet(ctx, a.ID)
	ok(t, err)
	checkEqual(t, "replaced access key", a, got)

	keys, err = s.AccessKeyList(ctx)
	ok(t, err)
	slices.SortFunc(keys, func(x, y upgrade.AccessKey) int { return strings.Compare(x.ID, y.ID) })
	checkEqual(t, "access key list", []upgrade.AccessKey{a, b}, keys)
}

func testClusters(t *testing.T, open func(*testing.T) store.Store) {
	t.Run("RoundTrip", func(t *testing.T) {
		s := open(t)
		c := insertCluster(t, s, "acct-1", "prod")
		for _, account := range []string{"acct-1", ""} {
			got, err := s.ClusterGet(t.Context(), account, c.ID)
			ok(t, err)
			checkEqual(t, "cluster", c, got)
			checkUTC(t, "cluster", got)
		}
	})
	t.Run("ZeroValues", func(t *testing.T) {
		s := open(t)
		c := upgrade.Cluster{ID: upgrade.NewClusterID(), AccountID: "acct-1", State: upgrade.ClusterInitial}
		ok(t, s.ClusterInsert(t.Context(), c))
		got, err := s.ClusterGet(t.Context(), "", c.ID)
		ok(t, err)
		checkEqual(t, "cluster", c, got)
		if !got.Created.IsZero() || !got.Updated.IsZero() {
			t.Errorf("zero times came back as %v, %v", got.Created, got.Updated)
		}
	})
	t.Run("NotFound", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		c := insertCluster(t, s, "acct-1", "prod")
		gone := newCluster("acct-1", "gone")
		gone.State = upgrade.ClusterDeleted
		ok(t, s.ClusterInsert(ctx, gone))

		_, err := s.ClusterGet(ctx, "acct-1", "c-missing")
		isErr(t, "missing cluster", err, store.ErrNotFound)
		_, err = s.ClusterGet(ctx, "acct-2", c.ID)
		isErr(t, "other account's cluster", err, store.ErrNotFound)
		_, err = s.ClusterGet(ctx, "acct-1", gone.ID)
		isErr(t, "deleted cluster", err, store.ErrNotFound)
		_, err = s.ClusterGet(ctx, "", gone.ID)
		isErr(t, "deleted cluster, any account", err, store.ErrNotFound)
	})
	t.Run("Update", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		c := insertCluster(t, s, "acct-1", "prod")
		other := insertCluster(t, s, "acct-1", "other")

		c.Name, c.RegionID, c.ClusterType, c.ClusterSpec = "prod-2", "cn-beijing", upgrade.TypeKubernetes, "ack.standard"
		c.Profile, c.CurrentVersion, c.InitVersion, c.TargetVersion = "Edge", "1.32.1-aliyun.1", "1.31.1-aliyun.1", ""
		c.State, c.VpcID, c.VSwitchIDs = upgrade.ClusterUpdating, "vpc-2", []string{"vsw-c"}
		c.ContainerCIDR, c.ServiceCIDR = "10.0.0.0/16", "10.1.0.0/20"
		c.Tags = []upgrade.Tag{{Key: "team", Value: "infra"}}
		c.Executor, c.ExecutorConfig, c.DeletionProtect = upgrade.ExecutorKube, []byte("kubeconfig"), false
		c.Updated = at(time.Hour)
		ok(t, s.ClusterUpdate(ctx, c))

		got, err := s.ClusterGet(ctx, "acct-1", c.ID)
		ok(t, err)
		checkEqual(t, "updated cluster", c, got)
		got, err = s.ClusterGet(ctx, "acct-1", other.ID)
		ok(t, err)
		checkEqual(t, "untouched cluster", other, got)

		missing := newCluster("acct-1", "missing")
		isErr(t, "update missing cluster", s.ClusterUpdate(ctx, missing), store.ErrNotFound)
	})
}

func testClusterList(t *testing.T, open func(*testing.T) store.Store) {
	s := open(t)
	ctx := t.Context()
	mk := func(id, account, name, typ, spec, region, profile string, created time.Duration, state upgrade.ClusterState) upgrade.Cluster {
		c := newCluster(account, name)
		c.ID = id
		c.ClusterType, c.ClusterSpec, c.RegionID, c.Profile = typ, spec, region, profile
		c.Created, c.State = at(created), state
		ok(t, s.ClusterInsert(ctx, c))
		return c
	}
	const mk8s, k8s, pro, std = upgrade.TypeManagedKubernetes, upgrade.TypeKubernetes, "ack.pro.small", "ack.standard"
	// Inserted out of creation order, and with ids in neither creation nor
	// reverse creation order, so that only ordering by creation gives the
	// answer.
	c3 := mk("c-4", "a1", "stage-web", mk8s, std, "cn-beijing", "Default", 3*time.Minute, upgrade.ClusterRunning)
	c1 := mk("c-3", "a1", "prod-web", mk8s, pro, "cn-hangzhou", "Default", 1*time.Minute, upgrade.ClusterRunning)
	c2 := mk("c-1", "a1", "prod_db", k8s, pro, "cn-hangzhou", "Edge", 2*time.Minute, upgrade.ClusterUpdating)
	c4 := mk("c-2", "a1", "prodxdb", mk8s, pro, "cn-hangzhou", "Default", 4*time.Minute, upgrade.ClusterFailed)
	mk("c-0", "a1", "prod-old", mk8s, pro, "cn-hangzhou", "Default", 0, upgrade.ClusterDeleted)
	o1 := mk("c-5", "a2", "prod-web", mk8s, pro, "cn-hangzhou", "Default", 5*time.Minute, upgrade.ClusterRunning)

	cases := []struct {
		name string
		p    upgrade.ClusterListParams
		want []upgrade.Cluster
	}{
		{"account", upgrade.ClusterListParams{AccountID: "a1"}, []upgrade.Cluster{c1, c2, c3, c4}},
		{"any account", upgrade.ClusterListParams{}, []upgrade.Cluster{c1, c2, c3, c4, o1}},
		{"name substring", upgrade.ClusterListParams{AccountID: "a1", Name: "web"}, []upgrade.Cluster{c1, c3}},
		{"name is literal", upgrade.ClusterListParams{AccountID: "a1", Name: "prod_d"}, []upgrade.Cluster{c2}},
		{"name matches none", upgrade.ClusterListParams{AccountID: "a1", Name: "%"}, nil},
		{"type", upgrade.ClusterListParams{AccountID: "a1", ClusterType: k8s}, []upgrade.Cluster{c2}},
		{"spec", upgrade.ClusterListParams{AccountID: "a1", ClusterSpec: std}, []upgrade.Cluster{c3}},
		{"region", upgrade.ClusterListParams{AccountID: "a1", RegionID: "cn-hangzhou"}, []upgrade.Cluster{c1, c2, c4}},
		{"profile", upgrade.ClusterListParams{AccountID: "a1", Profile: "Edge"}, []upgrade.Cluster{c2}},
		{"cluster id", upgrade.ClusterListParams{AccountID: "a1", ClusterID: c4.ID}, []upgrade.Cluster{c4}},
		{"cluster id of other account", upgrade.ClusterListParams{AccountID: "a1", ClusterID: o1.ID}, nil},
		{"filters combine", upgrade.ClusterListParams{AccountID: "a1", Name: "prod", RegionID: "cn-hangzhou",
			ClusterSpec: pro, ClusterType: mk8s, Profile: "Default"}, []upgrade.Cluster{c1, c4}},
	}
	for _, tc := range cases {
		got, total, err := s.ClusterList(ctx, tc.p)
		ok(t, err)
		checkIDs(t, tc.name, ids(tc.want, clusterID), ids(got, clusterID))
		if total != len(tc.want) {
			t.Errorf("%s: total %d, want %d", tc.name, total, len(tc.want))
		}
	}

	got, _, err := s.ClusterList(ctx, upgrade.ClusterListParams{AccountID: "a1", Name: "stage"})
	ok(t, err)
	if len(got) == 1 {
		checkEqual(t, "listed cluster", c3, got[0])
		checkUTC(t, "listed cluster", got[0])
	}

	pages := []struct {
		offset, limit int
		want          []upgrade.Cluster
	}{
		{0, 2, []upgrade.Cluster{c1, c2}},
		{2, 2, []upgrade.Cluster{c3, c4}},
		{1, 2, []upgrade.Cluster{c2, c3}},
		{3, 10, []upgrade.Cluster{c4}},
		{4, 2, nil},
	}
	for _, pg := range pages {
		got, total, err := s.ClusterList(ctx, upgrade.ClusterListParams{AccountID: "a1", Offset: pg.offset, Limit: pg.limit})
		ok(t, err)
		checkIDs(t, "page", ids(pg.want, clusterID), ids(got, clusterID))
		if total != 4 {
			t.Errorf("page at %d: total %d, want 4 (all matches, not the page)", pg.offset, total)
		}
	}
}
