package metrics

import (
	"context"
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ackup/ackup/internal/store"
	"github.com/ackup/ackup/internal/upgrade"
)

// Store wraps st so that the errors of its transactions and of its hot
// methods are counted in ackup_store_errors_total by method. Not-found,
// conflict and fenced are answers, not failures, and a canceled context is
// the caller's doing, so those are not counted.
//
// The wrapper embeds the store and overrides only what it counts, so a
// method added to store.Querier passes through without a new wrapper. The
// methods counted are InTx (begin and commit), those of GetUpgradeStatus
// (ClusterGet, TaskStatusLatest) and those of the engine's every pass
// (TaskClaim, TaskNextDue, TaskGet, TaskFenceCheck, TaskUpdate,
// EventAppend); an error of any other method still fails its request or
// pass, which the request and pass metrics and the log record.
func (m *Metrics) Store(st store.Store) store.Store {
	return &countingStore{Store: st, q: countingQuerier{Querier: st, errs: m.storeErrors}}
}

var _ store.Store = (*countingStore)(nil)

// countingStore is a store.Store whose errors are counted.
type countingStore struct {
	store.Store
	q countingQuerier // the same store, its hot methods counted
}

// InTx counts the errors of the statements fn runs, and a failure to
// begin or commit as "InTx". An error fn returns of its own is not a store
// error.
func (s *countingStore) InTx(ctx context.Context, fn func(q store.Querier) error) error {
	var fnErr error
	err := s.Store.InTx(ctx, func(q store.Querier) error {
		fnErr = fn(countingQuerier{Querier: q, errs: s.q.errs})
		return fnErr
	})
	if fnErr == nil {
		return s.q.count("InTx", err)
	}
	return err
}

func (s *countingStore) ClusterGet(ctx context.Context, accountID, id string) (upgrade.Cluster, error) {
	return s.q.ClusterGet(ctx, accountID, id)
}

func (s *countingStore) TaskStatusLatest(ctx context.Context, accountID, clusterID string, typ upgrade.TaskType) (upgrade.Task, bool, error) {
	return s.q.TaskStatusLatest(ctx, accountID, clusterID, typ)
}

func (s *countingStore) TaskGet(ctx context.Context, accountID, id string) (upgrade.Task, error) {
	return s.q.TaskGet(ctx, accountID, id)
}

func (s *countingStore) TaskUpdate(ctx context.Context, t upgrade.Task) error {
	return s.q.TaskUpdate(ctx, t)
}

func (s *countingStore) EventAppend(ctx context.Context, taskID string, evs []upgrade.TaskEvent) error {
	return s.q.EventAppend(ctx, taskID, evs)
}

func (s *countingStore) TaskClaim(ctx context.Context, p store.ClaimParams) ([]store.Claim, error) {
	return s.q.TaskClaim(ctx, p)
}

func (s *countingStore) TaskFenceCheck(ctx context.Context, taskID, owner string, fence int64, now time.Time) error {
	return s.q.TaskFenceCheck(ctx, taskID, owner, fence, now)
}

func (s *countingStore) TaskNextDue(ctx context.Context) (time.Time, bool, error) {
	return s.q.TaskNextDue(ctx)
}

// countingQuerier is a store.Querier whose hot methods' errors are counted;
// the rest pass through the embedded Querier.
type countingQuerier struct {
	store.Querier
	errs *prometheus.CounterVec
}

// count counts err under method unless it is an expected outcome, and
// returns it.
func (w countingQuerier) count(method string, err error) error {
	if err == nil || errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrConflict) ||
		errors.Is(err, store.ErrFenced) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	w.errs.WithLabelValues(method).Inc()
	return err
}

func (w countingQuerier) ClusterGet(ctx context.Context, accountID, id string) (upgrade.Cluster, error) {
	c, err := w.Querier.ClusterGet(ctx, accountID, id)
	return c, w.count("ClusterGet", err)
}

func (w countingQuerier) TaskStatusLatest(ctx context.Context, accountID, clusterID string, typ upgrade.TaskType) (upgrade.Task, bool, error) {
	t, found, err := w.Querier.TaskStatusLatest(ctx, accountID, clusterID, typ)
	return t, found, w.count("TaskStatusLatest", err)
}

func (w countingQuerier) TaskGet(ctx context.Context, accountID, id string) (upgrade.Task, error) {
	t, err := w.Querier.TaskGet(ctx, accountID, id)
	return t, w.count("TaskGet", err)
}

func (w countingQuerier) TaskUpdate(ctx context.Context, t upgrade.Task) error {
	return w.count("TaskUpdate", w.Querier.TaskUpdate(ctx, t))
}

func (w countingQuerier) EventAppend(ctx context.Context, taskID string, evs []upgrade.TaskEvent) error {
	return w.count("EventAppend", w.Querier.EventAppend(ctx, taskID, evs))
}

func (w countingQuerier) TaskClaim(ctx context.Context, p store.ClaimParams) ([]store.Claim, error) {
	cs, err := w.Querier.TaskClaim(ctx, p)
	return cs, w.count("TaskClaim", err)
}

func (w countingQuerier) TaskFenceCheck(ctx context.Context, taskID, owner string, fence int64, now time.Time) error {
	return w.count("TaskFenceCheck", w.Querier.TaskFenceCheck(ctx, taskID, owner, fence, now))
}

func (w countingQuerier) TaskNextDue(ctx context.Context) (time.Time, bool, error) {
	t, ok, err := w.Querier.TaskNextDue(ctx)
	return t, ok, w.count("TaskNextDue", err)
}
