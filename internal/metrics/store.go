package metrics

import (
	"context"
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ackup/ackup/internal/store"
	"github.com/ackup/ackup/internal/upgrade"
)

// Store wraps st so that the errors its methods return are counted in
// ackup_store_errors_total by method. Not-found, conflict and fenced are
// answers, not failures, and a canceled context is the caller's doing, so
// those are not counted.
func (m *Metrics) Store(st store.Store) store.Store {
	return &countingStore{countingQuerier: countingQuerier{q: st, errs: m.storeErrors}, st: st}
}

var _ store.Store = (*countingStore)(nil)

// countingStore is a store.Store whose errors are counted.
type countingStore struct {
	countingQuerier
	st store.Store
}

// InTx counts the errors of the statements fn runs, and a failure to
// begin or commit as "InTx". An error fn returns of its own is not a store
// error.
func (s *countingStore) InTx(ctx context.Context, fn func(q store.Querier) error) error {
	var fnErr error
	err := s.st.InTx(ctx, func(q store.Querier) error {
		fnErr = fn(countingQuerier{q: q, errs: s.errs})
		return fnErr
	})
	if fnErr == nil {
		return s.count("InTx", err)
	}
	return err
}

// Ping passes through: readiness failures are reported by /readyz.
func (s *countingStore) Ping(ctx context.Context) error { return s.st.Ping(ctx) }

// Close passes through.
func (s *countingStore) Close() error { return s.st.Close() }

// countingQuerier counts the errors of a store.Querier.
type countingQuerier struct {
	q    store.Querier
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

func (w countingQuerier) AccessKeyPut(ctx context.Context, k upgrade.AccessKey) error {
	return w.count("AccessKeyPut", w.q.AccessKeyPut(ctx, k))
}

func (w countingQuerier) AccessKeyGet(ctx context.Context, id string) (upgrade.AccessKey, error) {
	a, err := w.q.AccessKeyGet(ctx, id)
	return a, w.count("AccessKeyGet", err)
}

func (w countingQuerier) AccessKeyList(ctx context.Context) ([]upgrade.AccessKey, error) {
	a, err := w.q.AccessKeyList(ctx)
	return a, w.count("AccessKeyList", err)
}

func (w countingQuerier) ClusterInsert(ctx context.Context, c upgrade.Cluster) error {
	return w.count("ClusterInsert", w.q.ClusterInsert(ctx, c))
}

func (w countingQuerier) ClusterGet(ctx context.Context, accountID, id string) (upgrade.Cluster, error) {
	a, err := w.q.ClusterGet(ctx, accountID, id)
	return a, w.count("ClusterGet", err)
}

func (w countingQuerier) ClusterUpdate(ctx context.Context, c upgrade.Cluster) error {
	return w.count("ClusterUpdate", w.q.ClusterUpdate(ctx, c))
}

func (w countingQuerier) ClusterList(ctx context.Context, p store.ClusterListParams) ([]upgrade.Cluster, int, error) {
	a, b, err := w.q.ClusterList(ctx, p)
	return a, b, w.count("ClusterList", err)
}

func (w countingQuerier) NodePoolInsert(ctx context.Context, np upgrade.NodePool) error {
	return w.count("NodePoolInsert", w.q.NodePoolInsert(ctx, np))
}

func (w countingQuerier) NodePoolGet(ctx context.Context, clusterID, id string) (upgrade.NodePool, error) {
	a, err := w.q.NodePoolGet(ctx, clusterID, id)
	return a, w.count("NodePoolGet", err)
}

func (w countingQuerier) NodePoolList(ctx context.Context, clusterID string) ([]upgrade.NodePool, error) {
	a, err := w.q.NodePoolList(ctx, clusterID)
	return a, w.count("NodePoolList", err)
}

func (w countingQuerier) NodePoolUpdate(ctx context.Context, np upgrade.NodePool) error {
	return w.count("NodePoolUpdate", w.q.NodePoolUpdate(ctx, np))
}

func (w countingQuerier) NodeInsert(ctx context.Context, n upgrade.Node) error {
	return w.count("NodeInsert", w.q.NodeInsert(ctx, n))
}

func (w countingQuerier) NodeList(ctx context.Context, p store.NodeListParams) ([]upgrade.Node, int, error) {
	a, b, err := w.q.NodeList(ctx, p)
	return a, b, w.count("NodeList", err)
}

func (w countingQuerier) NodeUpdate(ctx context.Context, n upgrade.Node) error {
	return w.count("NodeUpdate", w.q.NodeUpdate(ctx, n))
}

func (w countingQuerier) TaskInsert(ctx context.Context, t upgrade.Task) error {
	return w.count("TaskInsert", w.q.TaskInsert(ctx, t))
}

func (w countingQuerier) TaskGet(ctx context.Context, accountID, id string) (upgrade.Task, error) {
	a, err := w.q.TaskGet(ctx, accountID, id)
	return a, w.count("TaskGet", err)
}

func (w countingQuerier) TaskUpdate(ctx context.Context, t upgrade.Task) error {
	return w.count("TaskUpdate", w.q.TaskUpdate(ctx, t))
}

func (w countingQuerier) TaskList(ctx context.Context, p store.TaskListParams) ([]upgrade.Task, int, error) {
	a, b, err := w.q.TaskList(ctx, p)
	return a, b, w.count("TaskList", err)
}

func (w countingQuerier) TaskActive(ctx context.Context, clusterID string) (upgrade.Task, error) {
	a, err := w.q.TaskActive(ctx, clusterID)
	return a, w.count("TaskActive", err)
}

func (w countingQuerier) TaskLatest(ctx context.Context, clusterID string, typ upgrade.TaskType) (upgrade.Task, error) {
	a, err := w.q.TaskLatest(ctx, clusterID, typ)
	return a, w.count("TaskLatest", err)
}

func (w countingQuerier) TaskStatusLatest(ctx context.Context, accountID, clusterID string, typ upgrade.TaskType) (upgrade.Task, bool, error) {
	a, b, err := w.q.TaskStatusLatest(ctx, accountID, clusterID, typ)
	return a, b, w.count("TaskStatusLatest", err)
}

func (w countingQuerier) TaskCountByState(ctx context.Context) ([]store.TaskCount, error) {
	a, err := w.q.TaskCountByState(ctx)
	return a, w.count("TaskCountByState", err)
}

func (w countingQuerier) EventAppend(ctx context.Context, taskID string, evs []upgrade.TaskEvent) error {
	return w.count("EventAppend", w.q.EventAppend(ctx, taskID, evs))
}

func (w countingQuerier) EventList(ctx context.Context, taskID string) ([]upgrade.TaskEvent, error) {
	a, err := w.q.EventList(ctx, taskID)
	return a, w.count("EventList", err)
}

func (w countingQuerier) CheckInsert(ctx context.Context, c upgrade.Check) error {
	return w.count("CheckInsert", w.q.CheckInsert(ctx, c))
}

func (w countingQuerier) CheckGet(ctx context.Context, clusterID, id string) (upgrade.Check, error) {
	a, err := w.q.CheckGet(ctx, clusterID, id)
	return a, w.count("CheckGet", err)
}

func (w countingQuerier) CheckUpdate(ctx context.Context, c upgrade.Check) error {
	return w.count("CheckUpdate", w.q.CheckUpdate(ctx, c))
}

func (w countingQuerier) CheckList(ctx context.Context, clusterID, typ, target string) ([]upgrade.Check, error) {
	a, err := w.q.CheckList(ctx, clusterID, typ, target)
	return a, w.count("CheckList", err)
}

func (w countingQuerier) TaskClaim(ctx context.Context, p store.ClaimParams) ([]store.Claim, error) {
	a, err := w.q.TaskClaim(ctx, p)
	return a, w.count("TaskClaim", err)
}

func (w countingQuerier) TaskFenceCheck(ctx context.Context, taskID, owner string, fence int64, now time.Time) error {
	return w.count("TaskFenceCheck", w.q.TaskFenceCheck(ctx, taskID, owner, fence, now))
}

func (w countingQuerier) TaskRelease(ctx context.Context, taskID, owner string) error {
	return w.count("TaskRelease", w.q.TaskRelease(ctx, taskID, owner))
}

func (w countingQuerier) TaskNextDue(ctx context.Context) (time.Time, bool, error) {
	a, b, err := w.q.TaskNextDue(ctx)
	return a, b, w.count("TaskNextDue", err)
}

func (w countingQuerier) MetaGet(ctx context.Context, name string) (string, error) {
	v, err := w.q.MetaGet(ctx, name)
	return v, w.count("MetaGet", err)
}

func (w countingQuerier) MetaInsert(ctx context.Context, name, value string) error {
	return w.count("MetaInsert", w.q.MetaInsert(ctx, name, value))
}

func (w countingQuerier) MetaSet(ctx context.Context, name, value string) error {
	return w.count("MetaSet", w.q.MetaSet(ctx, name, value))
}

func (w countingQuerier) SealedList(ctx context.Context) ([]store.Sealed, error) {
	v, err := w.q.SealedList(ctx)
	return v, w.count("SealedList", err)
}

func (w countingQuerier) SealedUpdate(ctx context.Context, s store.Sealed) error {
	return w.count("SealedUpdate", w.q.SealedUpdate(ctx, s))
}
