package postgres

import (
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ackup/ackup/internal/store"
	"github.com/ackup/ackup/internal/upgrade"
)

// These tests cover what the conformance suite cannot see on a
// single-writer database: many replicas at once on one PostgreSQL.

func TestTaskClaimManyReplicas(t *testing.T) {
	t.Parallel()
	u := testSchema(t)
	seed := openURL(t, u)
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	const tasks = 60
	for i := range tasks {
		if err := seed.TaskInsert(t.Context(), testTask(fmt.Sprintf("T-%03d", i), "c1", now)); err != nil {
			t.Fatal(err)
		}
	}

	const replicas = 6
	claimed := make([][]store.Claim, replicas)
	var wg sync.WaitGroup
	for r := range replicas {
		s := openURL(t, u)
		wg.Go(func() {
			for {
				cs, err := s.TaskClaim(t.Context(), store.ClaimParams{
					Owner: fmt.Sprintf("replica-%d", r), Now: now, Lease: time.Minute, Limit: 4})
				if err != nil {
					t.Errorf("replica %d: TaskClaim: %v", r, err)
					return
				}
				if len(cs) == 0 {
					return
				}
				claimed[r] = append(claimed[r], cs...)
				// Take a step: the task is next due in an hour, so the next
				// claim looks past it (an owner reclaims its own due tasks).
				for _, c := range cs {
					if err := deferTask(t, s, c.TaskID, now.Add(time.Hour)); err != nil {
						t.Errorf("replica %d: %v", r, err)
						return
					}
				}
			}
		})
	}
	wg.Wait()

	seen := map[string]int{}
	for r, cs := range claimed {
		for _, c := range cs {
			if prev, dup := seen[c.TaskID]; dup {
				t.Errorf("task %s claimed by replica %d and replica %d", c.TaskID, prev, r)
			}
			seen[c.TaskID] = r
			if c.Fence != 1 {
				t.Errorf("task %s: fence %d on first claim, want 1", c.TaskID, c.Fence)
			}
		}
	}
	if len(seen) != tasks {
		t.Errorf("%d tasks claimed, want all %d", len(seen), tasks)
	}
}

// deferTask sets the task's NextRunAt to next.
func deferTask(t *testing.T, s *Store, id string, next time.Time) error {
	task, err := s.TaskGet(t.Context(), "", id)
	if err != nil {
		return err
	}
	task.NextRunAt = next
	return s.TaskUpdate(t.Context(), task)
}

func TestTaskFenceCheckLocksRowInTx(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := s.TaskInsert(t.Context(), testTask("T-1", "c1", now)); err != nil {
		t.Fatal(err)
	}
	cs, err := s.TaskClaim(t.Context(), store.ClaimParams{Owner: "a", Now: now, Lease: time.Second, Limit: 1})
	if err != nil || len(cs) != 1 {
		t.Fatalf("claim by a: %v, %v", cs, err)
	}
	later := now.Add(time.Minute) // a's lease has expired by then

	inTx := make(chan struct{})
	release := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- s.InTx(t.Context(), func(q store.Querier) error {
			if err := q.TaskFenceCheck(t.Context(), "T-1", "a", cs[0].Fence, now); err != nil {
				return err
			}
			close(inTx)
			<-release
			return nil
		})
	}()
	<-inTx
	// While a's step holds the row, b cannot take the task over, even
	// though a's lease has expired by b's clock.
	got, err := s.TaskClaim(t.Context(), store.ClaimParams{Owner: "b", Now: later, Lease: time.Minute, Limit: 1})
	if err != nil || len(got) != 0 {
		t.Errorf("claim by b during a's step: %v, %v; want nothing", got, err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("a's step: %v", err)
	}
	got, err = s.TaskClaim(t.Context(), store.ClaimParams{Owner: "b", Now: later, Lease: time.Minute, Limit: 1})
	if err != nil || len(got) != 1 || got[0].Fence != cs[0].Fence+1 {
		t.Fatalf("claim by b after a's step: %v, %v; want the task with fence %d", got, err, cs[0].Fence+1)
	}
	err = s.TaskFenceCheck(t.Context(), "T-1", "a", cs[0].Fence, later)
	if !errors.Is(err, store.ErrFenced) {
		t.Errorf("fence check by a after takeover: %v, want ErrFenced", err)
	}
}

func TestEventAppendConcurrent(t *testing.T) {
	t.Parallel()
	u := testSchema(t)
	s := openURL(t, u)
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := s.TaskInsert(t.Context(), testTask("T-1", "c1", now)); err != nil {
		t.Fatal(err)
	}
	const writers, batches, perBatch = 4, 5, 3
	var wg sync.WaitGroup
	for w := range writers {
		r := openURL(t, u)
		wg.Go(func() {
			for b := range batches {
				evs := make([]upgrade.TaskEvent, perBatch)
				for i := range evs {
					evs[i] = upgrade.TaskEvent{Time: now, Level: upgrade.LevelNormal,
						Reason: "Test", Message: fmt.Sprintf("w%d b%d e%d", w, b, i)}
				}
				if err := r.EventAppend(t.Context(), "T-1", evs); err != nil {
					t.Errorf("writer %d: EventAppend: %v", w, err)
				}
			}
		})
	}
	wg.Wait()

	evs, err := s.EventList(t.Context(), "T-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != writers*batches*perBatch {
		t.Fatalf("%d events, want %d", len(evs), writers*batches*perBatch)
	}
	for i, e := range evs {
		if e.Seq != int64(i+1) {
			t.Fatalf("event %d has Seq %d, want %d", i, e.Seq, i+1)
		}
		// A batch is appended in one statement, so its events are adjacent.
		if i%perBatch != 0 && e.Message[:5] != evs[i-1].Message[:5] {
			t.Errorf("events %d and %d come from different batches: %q, %q", i-1, i, evs[i-1].Message, e.Message)
		}
	}
	if err := s.EventAppend(t.Context(), "T-none", evs[:1]); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("EventAppend to a missing task: %v, want ErrNotFound", err)
	}
}

// TestInTxSerialisable runs read-modify-write transactions from several
// replicas on one row; none may lose another's update.
func TestInTxSerialisable(t *testing.T) {
	t.Parallel()
	u := testSchema(t)
	seed := openURL(t, u)
	c := testCluster("c1", time.Now())
	c.Name = "0"
	if err := seed.ClusterInsert(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	const replicas, increments = 4, 5
	var wg sync.WaitGroup
	for r := range replicas {
		s := openURL(t, u)
		wg.Go(func() {
			for range increments {
				err := s.InTx(t.Context(), func(q store.Querier) error {
					c, err := q.ClusterGet(t.Context(), "", "c1")
					if err != nil {
						return err
					}
					n, err := strconv.Atoi(c.Name)
					if err != nil {
						return err
					}
					c.Name = strconv.Itoa(n + 1)
					return q.ClusterUpdate(t.Context(), c)
				})
				if err != nil {
					t.Errorf("replica %d: InTx: %v", r, err)
				}
			}
		})
	}
	wg.Wait()
	got, err := seed.ClusterGet(t.Context(), "", "c1")
	if err != nil {
		t.Fatal(err)
	}
	if want := strconv.Itoa(replicas * increments); got.Name != want {
		t.Errorf("counter is %s after %s increments", got.Name, want)
	}
}
