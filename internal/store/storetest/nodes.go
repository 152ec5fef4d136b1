package storetest

import (
	"testing"
	"time"

	"github.com/ackup/ackup/internal/store"
	"github.com/ackup/ackup/internal/upgrade"
)

func testNodePools(t *testing.T, open func(*testing.T) store.Store) {
	s := open(t)
	ctx := t.Context()
	c := insertCluster(t, s, "acct-1", "prod")
	other := insertCluster(t, s, "acct-1", "other")

	// Inserted newest first, with ids in neither creation nor reverse
	// creation order.
	late := newPool(c.ID, "gpu", at(time.Hour))
	mid := newPool(c.ID, "cpu", at(time.Minute))
	early := newPool(c.ID, "default", at(0))
	late.ID, mid.ID, early.ID = "np-a", "np-c", "np-b"
	foreign := newPool(other.ID, "default", at(0))
	for _, np := range []upgrade.NodePool{late, mid, early, foreign} {
		ok(t, s.NodePoolInsert(ctx, np))
	}

	got, err := s.NodePoolGet(ctx, c.ID, early.ID)
	ok(t, err)
	checkEqual(t, "node pool", early, got)
	checkUTC(t, "node pool", got)

	_, err = s.NodePoolGet(ctx, c.ID, "np-missing")
	isErr(t, "missing pool", err, store.ErrNotFound)
	_, err = s.NodePoolGet(ctx, c.ID, foreign.ID)
	isErr(t, "other cluster's pool", err, store.ErrNotFound)

	list, err := s.NodePoolList(ctx, c.ID)
	ok(t, err)
	checkEqual(t, "node pool list (oldest first)", []upgrade.NodePool{early, mid, late}, list)
	list, err = s.NodePoolList(ctx, "c-missing")
	ok(t, err)
	if len(list) != 0 {
		t.Errorf("pools of a missing cluster: %d, want none", len(list))
	}

	late.Name, late.IsDefault, late.DesiredSize = "gpu-2", true, 7
	late.InstanceTypes, late.VSwitchIDs = []string{"ecs.gn7i"}, nil
	late.State, late.Updated = upgrade.NodePoolUpdating, at(2*time.Hour)
	ok(t, s.NodePoolUpdate(ctx, late))
	got, err = s.NodePoolGet(ctx, c.ID, late.ID)
	ok(t, err)
	checkEqual(t, "updated node pool", late, got)
	got, err = s.NodePoolGet(ctx, c.ID, early.ID)
	ok(t, err)
	checkEqual(t, "untouched node pool", early, got)

	isErr(t, "update missing pool", s.NodePoolUpdate(ctx, newPool(c.ID, "x", at(0))), store.ErrNotFound)
}

func testNodes(t *testing.T, open func(*testing.T) store.Store) {
	s := open(t)
	ctx := t.Context()
	c := insertCluster(t, s, "acct-1", "prod")
	other := insertCluster(t, s, "acct-1", "other")
	// Pool "zeta" is created first: its nodes come before "alpha"'s. Ids go
	// against the expected order.
	zeta := newPool(c.ID, "zeta", at(0))
	alpha := newPool(c.ID, "alpha", at(time.Hour))
	zeta.ID, alpha.ID = "np-b", "np-a"
	foreignPool := newPool(other.ID, "default", at(0))
	for _, np := range []upgrade.NodePool{alpha, zeta, foreignPool} {
		ok(t, s.NodePoolInsert(ctx, np))
	}
	a2, z1, a1, z2 := newNode(alpha, "node-b"), newNode(zeta, "node-c"), newNode(alpha, "node-a"), newNode(zeta, "node-d")
	z1.InstanceID, z2.InstanceID, a1.InstanceID, a2.InstanceID = "i-3", "i-1", "i-4", "i-2"
	a1.Status, a1.Unschedulable, a1.Upgrading = upgrade.NodeNotReady, false, false
	foreign := newNode(foreignPool, "node-a")
	for _, n := range []upgrade.Node{a2, z1, a1, z2, foreign} {
		ok(t, s.NodeInsert(ctx, n))
	}
	all := []upgrade.Node{z1, z2, a1, a2}

	cases := []struct {
		name string
		p    upgrade.NodeListParams
		want []upgrade.Node
	}{
		{"all (limit 0)", upgrade.NodeListParams{ClusterID: c.ID}, all},
		{"pool", upgrade.NodeListParams{ClusterID: c.ID, NodePoolID: alpha.ID}, []upgrade.Node{a1, a2}},
		{"instances", upgrade.NodeListParams{ClusterID: c.ID, InstanceIDs: []string{a2.InstanceID, z1.InstanceID}},
			[]upgrade.Node{z1, a2}},
		{"instance of other cluster", upgrade.NodeListParams{ClusterID: c.ID, InstanceIDs: []string{foreign.InstanceID}}, nil},
		{"pool and instances", upgrade.NodeListParams{ClusterID: c.ID, NodePoolID: zeta.ID,
			InstanceIDs: []string{a1.InstanceID, z2.InstanceID}}, []upgrade.Node{z2}},
		{"other cluster", upgrade.NodeListParams{ClusterID: other.ID}, []upgrade.Node{foreign}},
	}
	for _, tc := range cases {
		got, total, err := s.NodeList(ctx, tc.p)
		ok(t, err)
		checkIDs(t, tc.name, ids(tc.want, nodeID), ids(got, nodeID))
		if total != len(tc.want) {
			t.Errorf("%s: total %d, want %d", tc.name, total, len(tc.want))
		}
	}

	got, _, err := s.NodeList(ctx, upgrade.NodeListParams{ClusterID: c.ID})
	ok(t, err)
	checkEqual(t, "node list", all, got)
	checkUTC(t, "node list", got)

	pages := []struct {
		offset, limit int
		want          []upgrade.Node
	}{
		{0, 3, []upgrade.Node{z1, z2, a1}},
		{1, 2, []upgrade.Node{z2, a1}},
		{3, 0, []upgrade.Node{a2}},
		{4, 2, nil},
	}
	for _, pg := range pages {
		got, total, err := s.NodeList(ctx, upgrade.NodeListParams{ClusterID: c.ID, Offset: pg.offset, Limit: pg.limit})
		ok(t, err)
		checkIDs(t, "page", ids(pg.want, nodeID), ids(got, nodeID))
		if total != len(all) {
			t.Errorf("page at %d: total %d, want %d", pg.offset, total, len(all))
		}
	}

	a1.NodePoolID, a1.Name, a1.IP, a1.InstanceType = zeta.ID, "node-e", "10.0.0.9", "ecs.c7.xlarge"
	a1.Version, a1.Status, a1.Unschedulable, a1.Upgrading = "1.32.1-aliyun.1", upgrade.NodeReady, true, true
	a1.State, a1.Updated = "upgrading", at(time.Hour)
	ok(t, s.NodeUpdate(ctx, a1))
	got, _, err = s.NodeList(ctx, upgrade.NodeListParams{ClusterID: c.ID})
	ok(t, err)
	checkEqual(t, "nodes after update", []upgrade.Node{z1, z2, a1, a2}, got)

	missing := newNode(alpha, "node-x")
	isErr(t, "update missing node", s.NodeUpdate(ctx, missing), store.ErrNotFound)
}
