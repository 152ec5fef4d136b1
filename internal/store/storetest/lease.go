package storetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ackup/ackup/internal/store"
	"github.com/ackup/ackup/internal/upgrade"
)

// claim claims for owner at now with a one-minute lease.
func claim(t *testing.T, s store.Querier, owner string, now time.Time, limit int) []store.Claim {
	t.Helper()
	cs, err := s.TaskClaim(t.Context(), store.ClaimParams{Owner: owner, Now: now, Lease: time.Minute, Limit: limit})
	ok(t, err)
	return cs
}

// claimedIDs returns the sorted task ids of claims.
func claimedIDs(cs []store.Claim) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.TaskID
	}
	slices.Sort(out)
	return out
}

// sortedIDs returns the sorted ids of tasks.
func sortedIDs(tasks ...upgrade.Task) []string {
	out := ids(tasks, taskID)
	slices.Sort(out)
	return out
}

// checkLease reports unless the task's recorded lease is as given.
func checkLease(t *testing.T, s store.Querier, taskID, owner string, until time.Time, fence int64) {
	t.Helper()
	got, err := s.TaskGet(t.Context(), "", taskID)
	ok(t, err)
	if got.LeaseOwner != owner || !got.LeaseUntil.Equal(until) || got.Fence != fence {
		t.Errorf("lease of %s: %q until %v fence %d, want %q until %v fence %d",
			taskID, got.LeaseOwner, got.LeaseUntil, got.Fence, owner, until, fence)
	}
}

func testTaskClaim(t *testing.T, open func(*testing.T) store.Store) {
	now := at(time.Hour)
	t.Run("Due", func(t *testing.T) {
		s := open(t)
		c := insertCluster(t, s, "acct-1", "prod")
		dueNow := insertTask(t, s, c, upgrade.TaskRunning, at(0), now)
		duePast := insertTask(t, s, c, upgrade.TaskRunning, at(0), now.Add(-time.Minute))
		paused := insertTask(t, s, c, upgrade.TaskPaused, at(0), now.Add(-time.Second))
		future := insertTask(t, s, c, upgrade.TaskRunning, at(0), now.Add(time.Second))
		var finished []upgrade.Task
		for _, st := range []upgrade.TaskState{upgrade.TaskSuccess, upgrade.TaskFailed, upgrade.TaskCanceled} {
			finished = append(finished, insertTask(t, s, c, st, at(0), now.Add(-time.Hour)))
		}

		cs := claim(t, s, "engine-a", now, 10)
		checkIDs(t, "claimed", sortedIDs(dueNow, duePast, paused), claimedIDs(cs))
		for _, cl := range cs {
			if cl.Fence != 1 {
				t.Errorf("first claim of %s: fence %d, want 1", cl.TaskID, cl.Fence)
			}
			checkLease(t, s, cl.TaskID, "engine-a", now.Add(time.Minute), cl.Fence)
		}
		for _, task := range append(finished, future) {
			checkLease(t, s, task.ID, "", time.Time{}, 0)
		}
	})
	t.Run("Lease", func(t *testing.T) {
		s := open(t)
		c := insertCluster(t, s, "acct-1", "prod")
		task := insertTask(t, s, c, upgrade.TaskRunning, at(0), now)

		first := claim(t, s, "engine-a", now, 1)
		if len(first) != 1 {
			t.Fatalf("free task: claimed %v", first)
		}
		fence := first[0].Fence

		later := now.Add(30 * time.Second)
		if cs := claim(t, s, "engine-b", later, 1); len(cs) != 0 {
			t.Errorf("task leased to engine-a was claimed by engine-b: %v", cs)
		}
		checkLease(t, s, task.ID, "engine-a", now.Add(time.Minute), fence)

		// The holder renews: same token, later expiry.
		cs := claim(t, s, "engine-a", later, 1)
		if len(cs) != 1 || cs[0].Fence != fence {
			t.Errorf("renewal by the holder: %v, want fence %d", cs, fence)
		}
		checkLease(t, s, task.ID, "engine-a", later.Add(time.Minute), fence)

		// The holder re-claims after its own lease expired: still its token.
		expired := later.Add(2 * time.Minute)
		cs = claim(t, s, "engine-a", expired, 1)
		if len(cs) != 1 || cs[0].Fence != fence {
			t.Errorf("re-claim by the holder after expiry: %v, want fence %d", cs, fence)
		}

		// Another owner takes an expired lease: the token moves on.
		takeover := expired.Add(2 * time.Minute)
		cs = claim(t, s, "engine-b", takeover, 1)
		if len(cs) != 1 || cs[0].Fence != fence+1 {
			t.Fatalf("takeover of an expired lease: %v, want fence %d", cs, fence+1)
		}
		checkLease(t, s, task.ID, "engine-b", takeover.Add(time.Minute), fence+1)
		if cs := claim(t, s, "engine-a", takeover, 1); len(cs) != 0 {
			t.Errorf("engine-a claimed a task engine-b holds: %v", cs)
		}
		cs = claim(t, s, "engine-a", takeover.Add(time.Hour), 1)
		if len(cs) != 1 || cs[0].Fence != fence+2 {
			t.Errorf("engine-a taking the task back: %v, want fence %d", cs, fence+2)
		}
	})
	t.Run("Limit", func(t *testing.T) {
		s := open(t)
		c := insertCluster(t, s, "acct-1", "prod")
		var all []upgrade.Task
		for i := range 5 {
			all = append(all, insertTask(t, s, c, upgrade.TaskRunning, at(0), now.Add(-time.Duration(i)*time.Second)))
		}
		a := claim(t, s, "engine-a", now, 2)
		b := claim(t, s, "engine-b", now, 2)
		rest := claim(t, s, "engine-c", now, 10)
		if len(a) != 2 || len(b) != 2 || len(rest) != 1 {
			t.Fatalf("claims with limits 2, 2, 10 of 5 tasks: got %d, %d, %d", len(a), len(b), len(rest))
		}
		got := claimedIDs(slices.Concat(a, b, rest))
		checkIDs(t, "every task claimed once", sortedIDs(all...), got)
	})
	t.Run("Release", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		c := insertCluster(t, s, "acct-1", "prod")
		task := insertTask(t, s, c, upgrade.TaskRunning, at(0), now)
		a := claim(t, s, "engine-a", now, 1)
		if len(a) != 1 {
			t.Fatalf("claimed %v", a)
		}

		ok(t, s.TaskRelease(ctx, task.ID, "engine-b")) // not the holder: no-op
		ok(t, s.TaskRelease(ctx, "T-missing", "engine-a"))
		checkLease(t, s, task.ID, "engine-a", now.Add(time.Minute), a[0].Fence)
		ok(t, s.TaskFenceCheck(ctx, task.ID, "engine-a", a[0].Fence, now))

		ok(t, s.TaskRelease(ctx, task.ID, "engine-a"))
		isErr(t, "fence check after release", s.TaskFenceCheck(ctx, task.ID, "engine-a", a[0].Fence, now), store.ErrFenced)
		b := claim(t, s, "engine-b", now, 1) // at once, though the old lease had not expired
		if len(b) != 1 || b[0].Fence <= a[0].Fence {
			t.Fatalf("claim after release: %v, want the task with a fence above %d", b, a[0].Fence)
		}
		ok(t, s.TaskFenceCheck(ctx, task.ID, "engine-b", b[0].Fence, now))
	})
}

func testTaskFence(t *testing.T, open func(*testing.T) store.Store) {
	s := open(t)
	ctx := txContext(t)
	now := at(time.Hour)
	c := insertCluster(t, s, "acct-1", "prod")
	task := insertTask(t, s, c, upgrade.TaskRunning, at(0), now)
	cs := claim(t, s, "engine-a", now, 1)
	if len(cs) != 1 {
		t.Fatalf("claimed %v", cs)
	}
	f := cs[0].Fence

	ok(t, s.TaskFenceCheck(ctx, task.ID, "engine-a", f, now))
	ok(t, s.TaskFenceCheck(ctx, task.ID, "engine-a", f, now.Add(59*time.Second)))
	fenced := []struct {
		name  string
		owner string
		fence int64
		now   time.Time
	}{
		{"wrong owner", "engine-b", f, now},
		{"stale token", "engine-a", f - 1, now},
		{"future token", "engine-a", f + 1, now},
		{"expired lease", "engine-a", f, now.Add(61 * time.Second)},
	}
	for _, tc := range fenced {
		isErr(t, tc.name, s.TaskFenceCheck(ctx, task.ID, tc.owner, tc.fence, tc.now), store.ErrFenced)
	}
	isErr(t, "missing task", s.TaskFenceCheck(ctx, "T-missing", "engine-a", f, now), store.ErrFenced)

	// Inside a transaction: a step's writes go through under a valid lease
	// and are refused under a lost one.
	step := func(owner string, fence int64, msg string) error {
		return s.InTx(ctx, func(q store.Querier) error {
			if err := q.TaskFenceCheck(ctx, task.ID, owner, fence, now); err != nil {
				return err
			}
			cur, err := q.TaskGet(ctx, "", task.ID)
			if err != nil {
				return err
			}
			cur.Message = msg
			return q.TaskUpdate(ctx, cur)
		})
	}
	ok(t, step("engine-a", f, "step by a"))
	isErr(t, "step by a stale owner", step("engine-b", f, "step by b"), store.ErrFenced)
	got, err := s.TaskGet(ctx, "", task.ID)
	ok(t, err)
	if got.Message != "step by a" {
		t.Errorf("message %q, want the write made under the valid lease", got.Message)
	}

	// After a takeover the old owner's token is fenced even while the new
	// lease is running.
	takeover := now.Add(2 * time.Minute)
	cs = claim(t, s, "engine-b", takeover, 1)
	if len(cs) != 1 {
		t.Fatalf("takeover claimed %v", cs)
	}
	isErr(t, "old owner after takeover", s.TaskFenceCheck(ctx, task.ID, "engine-a", f, takeover), store.ErrFenced)
	ok(t, s.TaskFenceCheck(ctx, task.ID, "engine-b", cs[0].Fence, takeover))
}

func testTaskNextDue(t *testing.T, open func(*testing.T) store.Store) {
	s := open(t)
	ctx := t.Context()
	if _, found, err := s.TaskNextDue(ctx); err != nil || found {
		t.Errorf("empty store: found %v, err %v; want none", found, err)
	}
	c := insertCluster(t, s, "acct-1", "prod")
	insertTask(t, s, c, upgrade.TaskSuccess, at(0), at(-time.Hour))
	insertTask(t, s, c, upgrade.TaskCanceled, at(0), at(-time.Hour))
	if _, found, err := s.TaskNextDue(ctx); err != nil || found {
		t.Errorf("only finished tasks: found %v, err %v; want none", found, err)
	}

	insertTask(t, s, c, upgrade.TaskRunning, at(0), at(5*time.Minute))
	leased := newTask(c, upgrade.TaskClusterUpgrade, upgrade.TaskPaused, at(0))
	leased.NextRunAt, leased.LeaseOwner, leased.LeaseUntil, leased.Fence = at(time.Minute), "engine-a", at(time.Hour), 1
	ok(t, s.TaskInsert(ctx, leased))
	next, found, err := s.TaskNextDue(ctx)
	ok(t, err)
	if !found || !next.Equal(at(time.Minute)) {
		t.Errorf("next due: %v (found %v), want %v", next, found, at(time.Minute))
	}
	checkUTC(t, "next due", next)
}

func testConcurrentClaim(t *testing.T, open func(*testing.T) store.Store) {
	s := open(t)
	now := at(time.Hour)
	c := insertCluster(t, s, "acct-1", "prod")
	var all []upgrade.Task
	for i := range 20 {
		all = append(all, insertTask(t, s, c, upgrade.TaskRunning, at(0), now.Add(-time.Duration(i)*time.Second)))
	}

	const claimers = 8
	var (
		wg     sync.WaitGroup
		start  = make(chan struct{})
		claims [claimers][]store.Claim
		errs   [claimers]error
	)
	for i := range claimers {
		wg.Go(func() {
			<-start
			claims[i], errs[i] = s.TaskClaim(t.Context(), store.ClaimParams{
				Owner: fmt.Sprintf("engine-%d", i), Now: now, Lease: time.Minute, Limit: 3})
		})
	}
	close(start)
	wg.Wait()

	holder := map[string]string{}
	for i, cs := range claims {
		ok(t, errs[i])
		owner := fmt.Sprintf("engine-%d", i)
		for _, cl := range cs {
			if prev, dup := holder[cl.TaskID]; dup {
				t.Errorf("task %s claimed by both %s and %s", cl.TaskID, prev, owner)
			}
			holder[cl.TaskID] = owner
			checkLease(t, s, cl.TaskID, owner, now.Add(time.Minute), cl.Fence)
		}
	}
	if len(holder) == 0 {
		t.Fatal("no claimer got a task")
	}
	// Whatever nobody got is still free, and nothing anybody got is.
	var free []string
	for _, task := range all {
		if _, taken := holder[task.ID]; !taken {
			free = append(free, task.ID)
		}
	}
	slices.Sort(free)
	rest := claim(t, s, "engine-late", now, 100)
	checkIDs(t, "tasks left for a late claimer", free, claimedIDs(rest))
}
