package storetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/ackup/ackup/internal/store"
	"github.com/ackup/ackup/internal/upgrade"
)

func testTasks(t *testing.T, open func(*testing.T) store.Store) {
	t.Run("RoundTrip", func(t *testing.T) {
		s := open(t)
		c := insertCluster(t, s, "acct-1", "prod")
		task := newTask(c, upgrade.TaskClusterUpgrade, upgrade.TaskRunning, at(0))
		task.LeaseOwner, task.LeaseUntil, task.Fence = "engine-1", at(time.Minute), 7
		ok(t, s.TaskInsert(t.Context(), task))
		for _, account := range []string{c.AccountID, ""} {
			got, err := s.TaskGet(t.Context(), account, task.ID)
			ok(t, err)
			checkEqual(t, "task", task, got)
			checkUTC(t, "task", got)
		}
	})
	t.Run("ZeroValues", func(t *testing.T) {
		s := open(t)
		c := insertCluster(t, s, "acct-1", "prod")
		task := upgrade.Task{ID: upgrade.NewTaskID(), ClusterID: c.ID, AccountID: c.AccountID,
			Type: upgrade.TaskClusterUpgrade, State: upgrade.TaskRunning}
		ok(t, s.TaskInsert(t.Context(), task))
		got, err := s.TaskGet(t.Context(), "", task.ID)
		ok(t, err)
		checkEqual(t, "task", task, got)
		if !got.NextRunAt.IsZero() || !got.LeaseUntil.IsZero() {
			t.Errorf("zero times came back as NextRunAt %v, LeaseUntil %v", got.NextRunAt, got.LeaseUntil)
		}
	})
	t.Run("NotFound", func(t *testing.T) {
		s := open(t)
		c := insertCluster(t, s, "acct-1", "prod")
		task := insertTask(t, s, c, upgrade.TaskRunning, at(0), at(0))
		_, err := s.TaskGet(t.Context(), "acct-1", "T-missing")
		isErr(t, "missing task", err, store.ErrNotFound)
		_, err = s.TaskGet(t.Context(), "acct-2", task.ID)
		isErr(t, "other account's task", err, store.ErrNotFound)
	})
	t.Run("UpdateKeepsLease", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		c := insertCluster(t, s, "acct-1", "prod")
		task := insertTask(t, s, c, upgrade.TaskRunning, at(0), at(0))
		other := insertTask(t, s, c, upgrade.TaskRunning, at(time.Second), at(time.Hour))
		claims, err := s.TaskClaim(ctx, store.ClaimParams{Owner: "engine-1", Now: at(0), Lease: time.Minute, Limit: 10})
		ok(t, err)
		if len(claims) != 1 {
			t.Fatalf("claimed %v, want only %s", claims, task.ID)
		}
		leased, err := s.TaskGet(ctx, "", task.ID)
		ok(t, err)

		task.Type, task.State, task.Step, task.Stage = upgrade.TaskNodePoolUpgrade, upgrade.TaskPaused, upgrade.StepPrechecking, "Precheck"
		task.TargetID, task.TargetType = "np-1", "nodepool"
		task.Params, task.Plan = json.RawMessage(`{"a": 1}`), json.RawMessage(`[1, 2, 3]`)
		task.Stages = append(task.Stages, upgrade.Stage{Name: "Pause", State: "running", Start: at(time.Hour)})
		task.ErrorCode, task.ErrorMessage, task.Message = "", "", "paused by user"
		task.PrecheckID, task.Desired = "check-2", upgrade.DesireNone
		task.Updated, task.NextRunAt = at(time.Hour), at(2*time.Hour)
		// Lease fields a careless update would write.
		task.LeaseOwner, task.LeaseUntil, task.Fence = "intruder", at(24*time.Hour), 99
		ok(t, s.TaskUpdate(ctx, task))

		got, err := s.TaskGet(ctx, "", task.ID)
		ok(t, err)
		want := task
		want.LeaseOwner, want.LeaseUntil, want.Fence = leased.LeaseOwner, leased.LeaseUntil, leased.Fence
		checkEqual(t, "updated task", want, got)
		if got.LeaseOwner != "engine-1" || got.Fence != claims[0].Fence {
			t.Errorf("lease after update: owner %q fence %d, want engine-1 and %d", got.LeaseOwner, got.Fence, claims[0].Fence)
		}
		gotOther, err := s.TaskGet(ctx, "", other.ID)
		ok(t, err)
		checkEqual(t, "untouched task", other, gotOther)

		missing := newTask(c, upgrade.TaskClusterUpgrade, upgrade.TaskRunning, at(0))
		isErr(t, "update missing task", s.TaskUpdate(ctx, missing), store.ErrNotFound)
	})
}

func testTaskQueries(t *testing.T, open func(*testing.T) store.Store) {
	t.Run("List", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		c := insertCluster(t, s, "acct-1", "prod")
		other := insertCluster(t, s, "acct-1", "other")
		// Inserted in a shuffled order, with ids in neither creation nor
		// reverse creation order.
		var tasks []upgrade.Task
		for i, m := range []time.Duration{3, 1, 4, 0, 2} {
			task := newTask(c, upgrade.TaskClusterUpgrade, upgrade.TaskSuccess, at(m*time.Minute))
			task.ID = "T-" + "25314"[i:i+1]
			ok(t, s.TaskInsert(ctx, task))
			tasks = append(tasks, task)
		}
		insertTask(t, s, other, upgrade.TaskRunning, at(10*time.Minute), at(0))
		newest := []upgrade.Task{tasks[2], tasks[0], tasks[4], tasks[1], tasks[3]}

		got, total, err := s.TaskList(ctx, upgrade.TaskListParams{ClusterID: c.ID, Limit: 10})
		ok(t, err)
		checkEqual(t, "task list (newest first)", newest, got)
		if total != 5 {
			t.Errorf("total %d, want 5", total)
		}
		for _, pg := range []struct{ offset, limit, from, to int }{{0, 2, 0, 2}, {1, 3, 1, 4}, {4, 2, 4, 5}, {5, 2, 5, 5}} {
			got, total, err := s.TaskList(ctx, upgrade.TaskListParams{ClusterID: c.ID, Offset: pg.offset, Limit: pg.limit})
			ok(t, err)
			checkIDs(t, "task page", ids(newest[pg.from:pg.to], taskID), ids(got, taskID))
			if total != 5 {
				t.Errorf("page at %d: total %d, want 5", pg.offset, total)
			}
		}
		got, total, err = s.TaskList(ctx, upgrade.TaskListParams{ClusterID: other.ID, Limit: 10})
		ok(t, err)
		if len(got) != 1 || total != 1 {
			t.Errorf("other cluster: %d tasks, total %d; want 1 and 1", len(got), total)
		}
	})
	t.Run("Active", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		c := insertCluster(t, s, "acct-1", "prod")
		other := insertCluster(t, s, "acct-1", "other")
		_, err := s.TaskActive(ctx, c.ID)
		isErr(t, "no tasks", err, store.ErrNotFound)
		for i, st := range []upgrade.TaskState{upgrade.TaskSuccess, upgrade.TaskFailed, upgrade.TaskCanceled} {
			insertTask(t, s, c, st, at(time.Duration(i)*time.Minute), at(0))
		}
		_, err = s.TaskActive(ctx, c.ID)
		isErr(t, "only finished tasks", err, store.ErrNotFound)

		running := insertTask(t, s, c, upgrade.TaskRunning, at(-time.Hour), at(0))
		paused := insertTask(t, s, other, upgrade.TaskPaused, at(0), at(0))
		got, err := s.TaskActive(ctx, c.ID)
		ok(t, err)
		checkEqual(t, "running task", running, got)
		got, err = s.TaskActive(ctx, other.ID)
		ok(t, err)
		checkEqual(t, "paused task", paused, got)
	})
	t.Run("Latest", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		c := insertCluster(t, s, "acct-1", "prod")
		other := insertCluster(t, s, "acct-1", "other")
		_, err := s.TaskLatest(ctx, c.ID, upgrade.TaskClusterUpgrade)
		isErr(t, "no tasks", err, store.ErrNotFound)

		insert := func(id string, c upgrade.Cluster, typ upgrade.TaskType, created time.Duration) upgrade.Task {
			task := newTask(c, typ, upgrade.TaskSuccess, at(created))
			task.ID = id
			ok(t, s.TaskInsert(ctx, task))
			return task
		}
		// The newest of its type has neither the lowest nor the highest id.
		newer := insert("T-b", c, upgrade.TaskClusterUpgrade, 2*time.Minute)
		insert("T-c", c, upgrade.TaskClusterUpgrade, time.Minute)
		insert("T-a", c, upgrade.TaskClusterUpgrade, 0)
		insert("T-d", c, upgrade.TaskNodePoolUpgrade, 3*time.Minute)
		insert("T-e", other, upgrade.TaskClusterUpgrade, 4*time.Minute)

		got, err := s.TaskLatest(ctx, c.ID, upgrade.TaskClusterUpgrade)
		ok(t, err)
		checkEqual(t, "latest upgrade", newer, got)
		checkUTC(t, "latest upgrade", got)
		_, err = s.TaskLatest(ctx, c.ID, upgrade.TaskClusterDelete)
		isErr(t, "no task of the type", err, store.ErrNotFound)
	})
}

func testEvents(t *testing.T, open func(*testing.T) store.Store) {
	s := open(t)
	ctx := t.Context()
	c := insertCluster(t, s, "acct-1", "prod")
	a := insertTask(t, s, c, upgrade.TaskRunning, at(0), at(0))
	b := insertTask(t, s, c, upgrade.TaskRunning, at(time.Second), at(0))

	ev := func(i int, reason string) upgrade.TaskEvent {
		// Times deliberately not in Seq order: the store keeps them as given.
		return upgrade.TaskEvent{Time: at(time.Duration(10-i) * time.Second), Action: "upgrade",
			Level: upgrade.LevelNormal, Reason: reason, Message: "message " + reason, Source: "engine"}
	}
	// by stamps an event with the engine instance and fencing token that
	// wrote it; events written by a request keep them empty and 0.
	by := func(e upgrade.TaskEvent, owner string, fence int64) upgrade.TaskEvent {
		e.Owner, e.Fence = owner, fence
		return e
	}
	batches := [][]upgrade.TaskEvent{
		{ev(0, "Start"), by(ev(1, "PrecheckPassed"), "engine-1", 1)},
		{by(ev(2, "NodeDrainStart"), "engine-1", 1)},
		nil,
		{by(ev(3, "NodeUpgraded"), "engine-2", 2), by(ev(4, "NodeUpgraded"), "engine-2", 1<<40), ev(5, "Done")},
	}
	var want []upgrade.TaskEvent
	for _, batch := range batches {
		ok(t, s.EventAppend(ctx, a.ID, batch))
		for _, e := range batch {
			e.TaskID, e.Seq = a.ID, int64(len(want)+1)
			want = append(want, e)
		}
	}
	ok(t, s.EventAppend(ctx, b.ID, []upgrade.TaskEvent{ev(9, "Other")}))

	got, err := s.EventList(ctx, a.ID)
	ok(t, err)
	checkEqual(t, "events", want, got)
	checkUTC(t, "events", got)

	got, err = s.EventList(ctx, b.ID)
	ok(t, err)
	if len(got) != 1 || got[0].Seq != 1 || got[0].TaskID != b.ID || got[0].Reason != "Other" {
		t.Errorf("other task's events: %+v, want one with Seq 1", got)
	}
	quiet := insertTask(t, s, c, upgrade.TaskRunning, at(0), at(0))
	got, err = s.EventList(ctx, quiet.ID)
	ok(t, err)
	if len(got) != 0 {
		t.Errorf("events of a task without any: %+v", got)
	}
}
