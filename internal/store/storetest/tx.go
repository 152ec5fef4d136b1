package storetest

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ackup/ackup/internal/store"
	"github.com/ackup/ackup/internal/upgrade"
)

func testDuplicateInsert(t *testing.T, open func(*testing.T) store.Store) {
	s := open(t)
	ctx := t.Context()
	c := insertCluster(t, s, "acct-1", "prod")
	pool := newPool(c.ID, "default", at(0))
	ok(t, s.NodePoolInsert(ctx, pool))
	node := newNode(pool, "node-a")
	ok(t, s.NodeInsert(ctx, node))
	task := insertTask(t, s, c, upgrade.TaskRunning, at(0), at(0))
	check := newCheck(c.ID, upgrade.CheckClusterUpgrade, c.ID, at(0))
	ok(t, s.CheckInsert(ctx, check))

	// Each second insert reuses a primary key with different content; the
	// first row must survive it.
	c2 := c
	c2.Name = "dup"
	pool2 := pool
	pool2.Name = "dup"
	node2 := node
	node2.Name = "dup"
	task2 := task
	task2.Message = "dup"
	check2 := check
	check2.Message = "dup"
	isErr(t, "cluster", s.ClusterInsert(ctx, c2), store.ErrConflict)
	isErr(t, "node pool", s.NodePoolInsert(ctx, pool2), store.ErrConflict)
	isErr(t, "node", s.NodeInsert(ctx, node2), store.ErrConflict)
	isErr(t, "task", s.TaskInsert(ctx, task2), store.ErrConflict)
	isErr(t, "check", s.CheckInsert(ctx, check2), store.ErrConflict)

	gotC, err := s.ClusterGet(ctx, "", c.ID)
	ok(t, err)
	checkEqual(t, "cluster", c, gotC)
	gotPool, err := s.NodePoolGet(ctx, c.ID, pool.ID)
	ok(t, err)
	checkEqual(t, "node pool", pool, gotPool)
	nodes, _, err := s.NodeList(ctx, upgrade.NodeListParams{ClusterID: c.ID})
	ok(t, err)
	checkEqual(t, "nodes", []upgrade.Node{node}, nodes)
	gotTask, err := s.TaskGet(ctx, "", task.ID)
	ok(t, err)
	checkEqual(t, "task", task, gotTask)
	gotCheck, err := s.CheckGet(ctx, c.ID, check.ID)
	ok(t, err)
	checkEqual(t, "check", check, gotCheck)
}

// txContext bounds a test that holds transactions open, so that a driver
// that deadlocks fails the test instead of hanging it.
func txContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func testInTx(t *testing.T, open func(*testing.T) store.Store) {
	t.Run("Commit", func(t *testing.T) {
		s := open(t)
		ctx := txContext(t)
		c := newCluster("acct-1", "prod")
		task := newTask(c, upgrade.TaskClusterCreate, upgrade.TaskRunning, at(0))
		err := s.InTx(ctx, func(q store.Querier) error {
			if err := q.ClusterInsert(ctx, c); err != nil {
				return err
			}
			if err := q.TaskInsert(ctx, task); err != nil {
				return err
			}
			// The transaction reads its own writes.
			_, err := q.ClusterGet(ctx, c.AccountID, c.ID)
			return err
		})
		ok(t, err)
		got, err := s.ClusterGet(ctx, c.AccountID, c.ID)
		ok(t, err)
		checkEqual(t, "committed cluster", c, got)
		gotTask, err := s.TaskGet(ctx, "", task.ID)
		ok(t, err)
		checkEqual(t, "committed task", task, gotTask)
	})
	t.Run("Rollback", testRollback(open))
	t.Run("Uncommitted", func(t *testing.T) {
		s := open(t)
		ctx := txContext(t)
		c := newCluster("acct-1", "prod")
		err := s.InTx(ctx, func(q store.Querier) error {
			ok(t, q.ClusterInsert(ctx, c))
			_, err := s.ClusterGet(ctx, "", c.ID)
			isErr(t, "uncommitted cluster read outside the transaction", err, store.ErrNotFound)
			return nil
		})
		ok(t, err)
	})
	t.Run("NoLostUpdates", func(t *testing.T) {
		s := open(t)
		ctx := txContext(t)
		c := insertCluster(t, s, "acct-1", "prod")
		task := newTask(c, upgrade.TaskClusterUpgrade, upgrade.TaskRunning, at(0))
		task.Message = "0"
		ok(t, s.TaskInsert(ctx, task))

		// Read-modify-write from many goroutines: every transaction that
		// commits must see the one before it.
		const n = 16
		var (
			wg        sync.WaitGroup
			mu        sync.Mutex
			committed int
		)
		for range n {
			wg.Go(func() {
				err := s.InTx(ctx, func(q store.Querier) error {
					cur, err := q.TaskGet(ctx, "", task.ID)
					if err != nil {
						return err
					}
					v, err := strconv.Atoi(cur.Message)
					if err != nil {
						return err
					}
					cur.Message = strconv.Itoa(v + 1)
					return q.TaskUpdate(ctx, cur)
				})
				if err == nil {
					mu.Lock()
					committed++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		got, err := s.TaskGet(ctx, "", task.ID)
		ok(t, err)
		if committed == 0 || got.Message != strconv.Itoa(committed) {
			t.Errorf("counter is %s after %d committed increments", got.Message, committed)
		}
	})
}

// testRollback checks that an error from fn undoes every kind of write.
func testRollback(open func(*testing.T) store.Store) func(*testing.T) {
	return func(t *testing.T) {
		s := open(t)
		ctx := txContext(t)
		old := insertCluster(t, s, "acct-1", "old")
		oldTask := insertTask(t, s, old, upgrade.TaskRunning, at(0), at(0))
		oldPool := newPool(old.ID, "default", at(0))
		ok(t, s.NodePoolInsert(ctx, oldPool))
		oldNode := newNode(oldPool, "node-a")
		ok(t, s.NodeInsert(ctx, oldNode))
		oldCheck := newCheck(old.ID, upgrade.CheckClusterUpgrade, old.ID, at(0))
		ok(t, s.CheckInsert(ctx, oldCheck))
		fresh := newCluster("acct-1", "fresh")
		freshTask := newTask(fresh, upgrade.TaskClusterCreate, upgrade.TaskRunning, at(0))
		key := upgrade.AccessKey{ID: "LTAI-tx", AccountID: "acct-1", Active: true, Created: at(0)}

		boom := errors.New("boom")
		err := s.InTx(ctx, func(q store.Querier) error {
			ok(t, q.AccessKeyPut(ctx, key))
			ok(t, q.ClusterInsert(ctx, fresh))
			ok(t, q.TaskInsert(ctx, freshTask))
			changed := old
			changed.Name = "renamed"
			ok(t, q.ClusterUpdate(ctx, changed))
			changedTask := oldTask
			changedTask.State = upgrade.TaskFailed
			ok(t, q.TaskUpdate(ctx, changedTask))
			ok(t, q.EventAppend(ctx, oldTask.ID, []upgrade.TaskEvent{{Time: at(0), Reason: "Lost"}}))
			changedPool := oldPool
			changedPool.DesiredSize = 100
			ok(t, q.NodePoolUpdate(ctx, changedPool))
			ok(t, q.NodePoolInsert(ctx, newPool(old.ID, "extra", at(time.Hour))))
			changedNode := oldNode
			changedNode.Version = "9.9.9"
			ok(t, q.NodeUpdate(ctx, changedNode))
			ok(t, q.NodeInsert(ctx, newNode(oldPool, "node-z")))
			changedCheck := oldCheck
			changedCheck.Status = upgrade.CheckFailed
			ok(t, q.CheckUpdate(ctx, changedCheck))
			_, err := q.TaskClaim(ctx, store.ClaimParams{Owner: "engine-1", Now: at(0), Lease: time.Minute, Limit: 10})
			ok(t, err)
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx returned %v, want fn's error", err)
		}

		_, err = s.AccessKeyGet(ctx, key.ID)
		isErr(t, "rolled-back access key", err, store.ErrNotFound)
		_, err = s.ClusterGet(ctx, "", fresh.ID)
		isErr(t, "rolled-back cluster", err, store.ErrNotFound)
		_, err = s.TaskGet(ctx, "", freshTask.ID)
		isErr(t, "rolled-back task", err, store.ErrNotFound)
		gotOld, err := s.ClusterGet(ctx, "", old.ID)
		ok(t, err)
		checkEqual(t, "cluster after rollback", old, gotOld)
		gotTask, err := s.TaskGet(ctx, "", oldTask.ID)
		ok(t, err)
		checkEqual(t, "task (and its lease) after rollback", oldTask, gotTask)
		evs, err := s.EventList(ctx, oldTask.ID)
		ok(t, err)
		if len(evs) != 0 {
			t.Errorf("rolled-back events are there: %+v", evs)
		}
		pools, err := s.NodePoolList(ctx, old.ID)
		ok(t, err)
		checkEqual(t, "pools after rollback", []upgrade.NodePool{oldPool}, pools)
		nodes, _, err := s.NodeList(ctx, upgrade.NodeListParams{ClusterID: old.ID})
		ok(t, err)
		checkEqual(t, "nodes after rollback", []upgrade.Node{oldNode}, nodes)
		gotCheck, err := s.CheckGet(ctx, old.ID, oldCheck.ID)
		ok(t, err)
		checkEqual(t, "check after rollback", oldCheck, gotCheck)
	}
}
