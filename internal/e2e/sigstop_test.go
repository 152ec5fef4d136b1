package e2e

import (
	"fmt"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	cs "github.com/alibabacloud-go/cs-20151215/v7/client"
	"github.com/alibabacloud-go/tea/dara"

	"github.com/ackup/ackup/internal/store/postgres"
	"github.com/ackup/ackup/internal/upgrade"
)

// sigstopLease is the replicas' lease in TestReplicaSigstop.
const sigstopLease = 2 * time.Second

// lostLease is a lease a frozen replica lost: no event after the
// takeover (Seq above after) may carry it.
type lostLease struct {
	owner string
	fence int64
	after int64
}

// TestReplicaSigstop freezes the replica driving an upgrade with SIGSTOP
// until the other replica has taken the upgrade over, then lets it run
// again, a few times over one upgrade. Whatever a frozen replica was in the
// middle of, it must not write a step under the lease it lost once it
// resumes, and the upgrade must still finish correctly.
func TestReplicaSigstop(t *testing.T) {
	if testing.Short() {
		t.Skip("SIGSTOP test skipped in -short mode")
	}
	// A replica frozen inside a transaction keeps the task's row lock, so
	// no other replica could take the task over; PostgreSQL ends such a
	// session after this timeout (docs/postgres.md recommends it).
	db := postgresSchema(t, "idle_in_transaction_session_timeout", "2000")
	// At this speed an upgrade of four nodes lasts about 25 s.
	args := []string{"--lease", sigstopLease.String(), "--sim-speed", "60", "--key-file", filepath.Join(t.TempDir(), "ackup.key")}
	a := startProc(t, db, slices.Concat(args, []string{"--engine-owner", "replica-a"})...)
	b := startProc(t, db, slices.Concat(args, []string{"--engine-owner", "replica-b"})...)
	replicas := map[string]*proc{"replica-a": a, "replica-b": b}
	st := openPostgres(t, db)

	c := a.client()
	resp, err := c.CreateCluster(&cs.CreateClusterRequest{Name: dara.String("sigstop"), RegionId: dara.String("cn-hangzhou"),
		KubernetesVersion: dara.String("1.32.7-aliyun.1"), NumOfNodes: dara.Int64(4)})
	if err != nil {
		t.Fatal(err)
	}
	cluster := dara.StringValue(resp.Body.ClusterId)
	eventually(t, time.Minute, "cluster running", func() error { return wantClusterState(c, cluster, "running") })
	up, err := c.UpgradeCluster(dara.String(cluster), &cs.UpgradeClusterRequest{NextVersion: dara.String("1.33.3-aliyun.1")})
	if err != nil {
		t.Fatal(err)
	}
	task := dara.StringValue(up.Body.TaskId)

	// Each round freezes the replica that has just claimed the upgrade: a
	// claim starts a pass, so the replica is likely to stop between reading
	// the task and writing its step, and to try that write on resuming.
	var lost []lostLease
	for range 3 {
		l, ok := freezeUntilTakenOver(t, st, task, replicas)
		if !ok {
			break // the upgrade has ended
		}
		lost = append(lost, l)
	}
	if len(lost) == 0 {
		t.Fatal("the upgrade ended before any replica could be frozen")
	}

	eventually(t, 2*time.Minute, "upgrade finished", func() error {
		info, err := c.DescribeTaskInfo(dara.String(task))
		if err != nil {
			return err
		}
		if s := dara.StringValue(info.Body.State); s != "success" {
			return fmt.Errorf("state %s", s)
		}
		return nil
	})
	evs, err := st.EventList(t.Context(), task)
	if err != nil {
		t.Fatal(err)
	}
	checkFences(t, task, evs)
	for _, l := range lost {
		for _, e := range evs {
			if e.Seq > l.after && e.Owner == l.owner && e.Fence == l.fence {
				t.Errorf("event %d (%s) written after the takeover at event %d under the lost lease (%s, fence %d)",
					e.Seq, e.Reason, l.after, e.Owner, e.Fence)
			}
		}
	}
	counts := nodeUpgradeCounts(t, c, task)
	if len(counts) != 4 {
		t.Errorf("%d distinct nodes upgraded, want 4: %v", len(counts), counts)
	}
	for n, k := range counts {
		if k != 1 {
			t.Errorf("node %s upgraded %d times", n, k)
		}
	}
}

// freezeUntilTakenOver waits for a fresh claim on the task, freezes the
// claiming replica with SIGSTOP, waits until the other replica has taken
// the task over, resumes the frozen one, and waits for a few more events
// written beside it. It returns the lease the frozen replica lost; ok is
// false if the task ended before a claim.
func freezeUntilTakenOver(t *testing.T, st *postgres.Store, task string, replicas map[string]*proc) (lost lostLease, ok bool) {
	t.Helper()
	held, ok := freshClaim(t, st, task)
	if !ok {
		return lostLease{}, false
	}
	frozen := replicas[held.LeaseOwner]
	if frozen == nil {
		t.Fatalf("lease held by %q, not by a replica of this test", held.LeaseOwner)
	}
	frozen.signal(syscall.SIGSTOP)
	stopped := time.Now()
	resumed := false
	defer func() {
		if !resumed {
			frozen.signal(syscall.SIGCONT) // on failure, so the cleanup's SIGKILL is not the only way out
		}
	}()

	// The other replica takes over once the lease has expired and the
	// task is due again.
	var taken upgrade.Task
	eventually(t, time.Minute, "the other replica takes the upgrade over", func() error {
		var err error
		if taken, err = st.TaskGet(t.Context(), "", task); err != nil {
			return err
		}
		if taken.LeaseOwner == held.LeaseOwner || taken.LeaseOwner == "" || taken.Fence <= held.Fence {
			return fmt.Errorf("lease %q with fence %d, state %s", taken.LeaseOwner, taken.Fence, taken.State)
		}
		return nil
	})
	// A claim sets the lease to run out one lease after the claim.
	if claimed := taken.LeaseUntil.Add(-sigstopLease); claimed.Before(held.LeaseUntil) {
		t.Fatalf("%s claimed the upgrade at %s, before the frozen replica's lease ran out at %s",
			taken.LeaseOwner, claimed.Format(time.RFC3339Nano), held.LeaseUntil.Format(time.RFC3339Nano))
	}
	evs, err := st.EventList(t.Context(), task)
	if err != nil {
		t.Fatal(err)
	}
	lost = lostLease{owner: held.LeaseOwner, fence: held.Fence, after: int64(len(evs))}
	t.Logf("froze %s holding fence %d; %s took over with fence %d after %s",
		held.LeaseOwner, held.Fence, taken.LeaseOwner, taken.Fence, time.Since(stopped).Round(time.Millisecond))

	// Let the frozen replica run again beside the new owner for a few
	// more steps (or to the end of the upgrade).
	frozen.signal(syscall.SIGCONT)
	resumed = true
	eventually(t, time.Minute, "a few more steps after the resume", func() error {
		cur, err := st.TaskGet(t.Context(), "", task)
		if err != nil {
			return err
		}
		evs, err := st.EventList(t.Context(), task)
		if err != nil {
			return err
		}
		if n := int64(len(evs)); n < lost.after+3 && cur.State.Active() {
			return fmt.Errorf("%d events, %d at the takeover", n, lost.after)
		}
		return nil
	})
	return lost, true
}

// freshClaim waits for a new claim on the task, one that renews or takes
// its lease after this call, and returns the task as claimed; ok is false
// if the task ends first. It polls every millisecond, so the claim's pass
// has barely begun.
func freshClaim(t *testing.T, st *postgres.Store, taskID string) (claimed upgrade.Task, ok bool) {
	t.Helper()
	first, err := st.TaskGet(t.Context(), "", taskID)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for {
		cur, err := st.TaskGet(t.Context(), "", taskID)
		switch {
		case err != nil:
			t.Fatal(err)
		case !cur.State.Active():
			return cur, false
		case cur.LeaseOwner != "" && cur.LeaseUntil.After(first.LeaseUntil):
			return cur, true
		case time.Now().After(deadline):
			t.Fatalf("no fresh claim of task %s within 30s (lease %q until %s)", taskID, cur.LeaseOwner, cur.LeaseUntil)
		}
		<-tick.C
	}
}
