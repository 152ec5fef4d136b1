package storetest

import (
	"testing"
	"time"

	"github.com/ackup/ackup/internal/store"
	"github.com/ackup/ackup/internal/upgrade"
)

func testChecks(t *testing.T, open func(*testing.T) store.Store) {
	s := open(t)
	ctx := t.Context()
	c := insertCluster(t, s, "acct-1", "prod")
	other := insertCluster(t, s, "acct-1", "other")

	mk := func(id, clusterID, typ, target string, created time.Duration) upgrade.Check {
		ch := newCheck(clusterID, typ, target, at(created))
		ch.ID = id
		ok(t, s.CheckInsert(ctx, ch))
		return ch
	}
	// Inserted out of creation order, with ids in neither creation nor
	// reverse creation order.
	up2 := mk("k-1", c.ID, upgrade.CheckClusterUpgrade, c.ID, 2*time.Minute)
	np := mk("k-4", c.ID, upgrade.CheckNodePoolUpgrade, "np-1", 3*time.Minute)
	up1 := mk("k-3", c.ID, upgrade.CheckClusterUpgrade, c.ID, time.Minute)
	np2 := mk("k-2", c.ID, upgrade.CheckNodePoolUpgrade, "np-2", 4*time.Minute)
	foreign := mk("k-5", other.ID, upgrade.CheckClusterUpgrade, other.ID, 5*time.Minute)

	got, err := s.CheckGet(ctx, c.ID, up1.ID)
	ok(t, err)
	checkEqual(t, "check", up1, got)
	checkUTC(t, "check", got)
	_, err = s.CheckGet(ctx, c.ID, "missing")
	isErr(t, "missing check", err, store.ErrNotFound)
	_, err = s.CheckGet(ctx, c.ID, foreign.ID)
	isErr(t, "other cluster's check", err, store.ErrNotFound)

	cases := []struct {
		name, typ, target string
		want              []upgrade.Check
	}{
		{"all", "", "", []upgrade.Check{np2, np, up2, up1}},
		{"type", upgrade.CheckClusterUpgrade, "", []upgrade.Check{up2, up1}},
		{"target", "", "np-1", []upgrade.Check{np}},
		{"type and target", upgrade.CheckNodePoolUpgrade, "np-2", []upgrade.Check{np2}},
		{"no match", upgrade.CheckMasterUpgrade, "", nil},
	}
	for _, tc := range cases {
		got, err := s.CheckList(ctx, c.ID, tc.typ, tc.target)
		ok(t, err)
		checkIDs(t, tc.name, ids(tc.want, checkID), ids(got, checkID))
	}
	list, err := s.CheckList(ctx, c.ID, "", "np-1")
	ok(t, err)
	checkEqual(t, "listed checks", []upgrade.Check{np}, list)

	running := newCheck(c.ID, upgrade.CheckMasterUpgrade, c.ID, at(time.Hour))
	running.Status, running.Message, running.Items, running.Finished = upgrade.CheckRunning, "", nil, time.Time{}
	running.Options = nil
	ok(t, s.CheckInsert(ctx, running))
	got, err = s.CheckGet(ctx, c.ID, running.ID)
	ok(t, err)
	checkEqual(t, "running check", running, got)
	if !got.Finished.IsZero() {
		t.Errorf("unfinished check came back finished at %v", got.Finished)
	}

	running.Status, running.Message, running.Finished = upgrade.CheckFailed, "1 error", at(2*time.Hour)
	running.Options = map[string]string{"retry": "true"}
	running.Items = []upgrade.CheckItem{{Name: "NodeReady", Category: "Node", Level: "error", Status: "Failed",
		Message: "node i-1 NotReady"}}
	ok(t, s.CheckUpdate(ctx, running))
	got, err = s.CheckGet(ctx, c.ID, running.ID)
	ok(t, err)
	checkEqual(t, "updated check", running, got)
	got, err = s.CheckGet(ctx, c.ID, up1.ID)
	ok(t, err)
	checkEqual(t, "untouched check", up1, got)

	isErr(t, "update missing check", s.CheckUpdate(ctx, newCheck(c.ID, "x", "y", at(0))), store.ErrNotFound)
}
