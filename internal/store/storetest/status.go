package storetest

import (
	"testing"
	"time"

	"github.com/ackup/ackup/internal/store"
	"github.com/ackup/ackup/internal/upgrade"
)

// testTaskStatusLatest pins down GetUpgradeStatus's one-statement read: it
// finds what ClusterGet and TaskLatest together find, and only the status
// fields.
func testTaskStatusLatest(t *testing.T, open func(*testing.T) store.Store) {
	s := open(t)
	ctx := t.Context()
	c := insertCluster(t, s, "acct-1", "prod")
	other := insertCluster(t, s, "acct-1", "other")
	gone := insertCluster(t, s, "acct-1", "gone")
	gone.State = upgrade.ClusterDeleted
	ok(t, s.ClusterUpdate(ctx, gone))

	for _, q := range []struct{ what, account, id string }{
		{"unknown cluster", "acct-1", "c-missing"},
		{"another account's cluster", "acct-2", c.ID},
		{"deleted cluster", "acct-1", gone.ID},
	} {
		_, _, err := s.TaskStatusLatest(ctx, q.account, q.id, upgrade.TaskClusterUpgrade)
		isErr(t, q.what, err, store.ErrNotFound)
	}
	if _, found, err := s.TaskStatusLatest(ctx, "acct-1", c.ID, upgrade.TaskClusterUpgrade); err != nil || found {
		t.Errorf("cluster without tasks: found %v, err %v; want false, nil", found, err)
	}

	insert := func(id string, c upgrade.Cluster, typ upgrade.TaskType, state upgrade.TaskState, created time.Duration) upgrade.Task {
		task := newTask(c, typ, state, at(created))
		task.ID = id
		ok(t, s.TaskInsert(ctx, task))
		return task
	}
	newest := insert("T-b", c, upgrade.TaskClusterUpgrade, upgrade.TaskFailed, 2*time.Minute)
	insert("T-c", c, upgrade.TaskClusterUpgrade, upgrade.TaskSuccess, time.Minute)
	insert("T-a", c, upgrade.TaskClusterUpgrade, upgrade.TaskSuccess, 0)
	insert("T-d", c, upgrade.TaskNodePoolUpgrade, upgrade.TaskRunning, 3*time.Minute)
	insert("T-e", other, upgrade.TaskClusterUpgrade, upgrade.TaskRunning, 4*time.Minute)

	want := upgrade.Task{ID: newest.ID, ClusterID: c.ID, Type: upgrade.TaskClusterUpgrade, State: newest.State,
		Step: newest.Step, Message: newest.Message, ErrorMessage: newest.ErrorMessage, PrecheckID: newest.PrecheckID}
	for _, account := range []string{"acct-1", ""} {
		got, found, err := s.TaskStatusLatest(ctx, account, c.ID, upgrade.TaskClusterUpgrade)
		ok(t, err)
		if !found {
			t.Fatalf("account %q: newest upgrade not found", account)
		}
		checkEqual(t, "newest upgrade's status fields", want, got)
	}
	if _, found, err := s.TaskStatusLatest(ctx, "acct-1", c.ID, upgrade.TaskClusterDelete); err != nil || found {
		t.Errorf("no task of the type: found %v, err %v; want false, nil", found, err)
	}
	ok(t, s.InTx(ctx, func(q store.Querier) error {
		got, found, err := q.TaskStatusLatest(ctx, "acct-1", c.ID, upgrade.TaskClusterUpgrade)
		if err == nil && (!found || got.ID != newest.ID) {
			t.Errorf("in a transaction: got %q (found %v), want %q", got.ID, found, newest.ID)
		}
		return err
	}))
}

// testTaskCountByState counts tasks of every type and state.
func testTaskCountByState(t *testing.T, open func(*testing.T) store.Store) {
	s := open(t)
	ctx := t.Context()
	counts, err := s.TaskCountByState(ctx)
	ok(t, err)
	if len(counts) != 0 {
		t.Errorf("empty store: counts %v, want none", counts)
	}
	c := insertCluster(t, s, "acct-1", "prod")
	other := insertCluster(t, s, "acct-2", "other")
	for i, x := range []struct {
		c     upgrade.Cluster
		typ   upgrade.TaskType
		state upgrade.TaskState
	}{
		{c, upgrade.TaskClusterUpgrade, upgrade.TaskSuccess},
		{c, upgrade.TaskClusterUpgrade, upgrade.TaskSuccess},
		{c, upgrade.TaskClusterUpgrade, upgrade.TaskRunning},
		{other, upgrade.TaskClusterUpgrade, upgrade.TaskRunning},
		{other, upgrade.TaskNodePoolUpgrade, upgrade.TaskPaused},
		{other, upgrade.TaskClusterCreate, upgrade.TaskSuccess},
	} {
		ok(t, s.TaskInsert(ctx, newTask(x.c, x.typ, x.state, at(time.Duration(i)*time.Minute))))
	}
	counts, err = s.TaskCountByState(ctx)
	ok(t, err)
	want := []store.TaskCount{
		{Type: upgrade.TaskClusterCreate, State: upgrade.TaskSuccess, N: 1},
		{Type: upgrade.TaskClusterUpgrade, State: upgrade.TaskRunning, N: 2},
		{Type: upgrade.TaskClusterUpgrade, State: upgrade.TaskSuccess, N: 2},
		{Type: upgrade.TaskNodePoolUpgrade, State: upgrade.TaskPaused, N: 1},
	}
	checkEqual(t, "task counts", want, counts)
}
