package service

import (
	"context"
	"errors"
	"fmt"

	"github.com/ackup/ackup/internal/store"
	"github.com/ackup/ackup/internal/upgrade"
)

// DescribeTask returns a task of account with its events.
func (s *Service) DescribeTask(ctx context.Context, account, taskID string) (TaskView, error) {
	t, err := s.taskGet(ctx, s.st, account, taskID)
	if err != nil {
		return TaskView{}, err
	}
	evs, err := s.st.EventList(ctx, taskID)
	if err != nil {
		return TaskView{}, fmt.Errorf("events of %s: %w", taskID, err)
	}
	return TaskView{Task: *upgrade.Laid(&t), Events: evs}, nil
}

// ListTasks returns a page of a cluster's tasks, newest first.
func (s *Service) ListTasks(ctx context.Context, account, clusterID string, offset, limit int) ([]upgrade.Task, int, error) {
	if _, err := s.clusterGet(ctx, s.st, account, clusterID); err != nil {
		return nil, 0, err
	}
	ts, total, err := s.st.TaskList(ctx, upgrade.TaskListParams{ClusterID: clusterID, Offset: offset, Limit: limit})
	if err != nil {
		return nil, 0, fmt.Errorf("list tasks of %s: %w", clusterID, err)
	}
	return ts, total, nil
}

func (s *Service) taskGet(ctx context.Context, q store.Querier, account, taskID string) (upgrade.Task, error) {
	t, err := q.TaskGet(ctx, account, taskID)
	if errors.Is(err, store.ErrNotFound) {
		return t, upgrade.NotFound(upgrade.ResTask, taskID)
	}
	if err != nil {
		return t, fmt.Errorf("get task %s: %w", taskID, err)
	}
	return t, nil
}

// transition applies change to a task of account in one transaction, after
// legal says the change is allowed, and records an event.
func (s *Service) transition(ctx context.Context, account string, pick func(q store.Querier) (upgrade.Task, error),
	legal func(*upgrade.Task) error, change func(ctx context.Context, q store.Querier, t *upgrade.Task) (upgrade.TaskEvent, error)) error {
	var id string
	err := s.st.InTx(ctx, func(q store.Querier) error {
		t, err := pick(q)
		if err != nil {
			return err
		}
		if err := legal(&t); err != nil {
			return err
		}
		ev, err := change(ctx, q, &t)
		if err != nil {
			return err
		}
		t.Updated = s.now().UTC()
		id = t.ID
		if err := q.TaskUpdate(ctx, t); err != nil {
			return err
		}
		return q.EventAppend(ctx, t.ID, []upgrade.TaskEvent{ev})
	})
	if err == nil {
		s.wake(id)
	}
	return err
}

func (s *Service) pause(_ context.Context, _ store.Querier, t *upgrade.Task) (upgrade.TaskEvent, error) {
	t.State = upgrade.TaskPaused
	t.Message = "paused on request: nodes already in flight finish their upgrade, no new node starts; resume with ResumeTask"
	return s.event(upgrade.ReasonTaskPaused, fmt.Sprintf("task %s paused on request", t.ID)), nil
}

// resume goes on with a paused task, or takes a failed upgrade up again.
func (s *Service) resume(ctx context.Context, q store.Querier, t *upgrade.Task) (upgrade.TaskEvent, error) {
	if t.Retryable() {
		return s.retry(ctx, q, t)
	}
	t.State = upgrade.TaskRunning
	t.Message = "resumed on request"
	t.NextRunAt = s.now().UTC()
	return s.event(upgrade.ReasonTaskResumed, fmt.Sprintf("task %s resumed on request", t.ID)), nil
}

// retry takes a failed upgrade up again from the step that failed: the task
// runs again and holds its cluster again, so the cluster must be idle and
// the task must still be its latest (a newer task may have changed what the
// old one was heading for). The engine re-enters the failed step.
func (s *Service) retry(ctx context.Context, q store.Querier, t *upgrade.Task) (upgrade.TaskEvent, error) {
	c, err := q.ClusterGet(ctx, t.AccountID, t.ClusterID)
	if err != nil {
		return upgrade.TaskEvent{}, fmt.Errorf("cluster of %s: %w", t.ID, err)
	}
	if err := ensureIdle(ctx, q, c); err != nil {
		return upgrade.TaskEvent{}, err
	}
	newest, _, err := q.TaskList(ctx, upgrade.TaskListParams{ClusterID: c.ID, Limit: 1})
	if err != nil {
		return upgrade.TaskEvent{}, fmt.Errorf("latest task of %s: %w", c.ID, err)
	}
	if len(newest) > 0 && newest[0].ID != t.ID {
		return upgrade.TaskEvent{}, upgrade.TaskStatef("task %s cannot be retried: task %s (%s) ran on cluster %s since; start a new upgrade instead",
			t.ID, newest[0].ID, newest[0].Type, c.ID)
	}
	spec, err := upgrade.SpecOf(t)
	if err != nil {
		return upgrade.TaskEvent{}, fmt.Errorf("spec of %s: %w", t.ID, err)
	}
	now := s.now().UTC()
	if !spec.SkipControlPlane {
		c.TargetVersion = spec.TargetVersion
	}
	c.State, c.Updated = upgrade.ClusterUpdating, now
	if err := q.ClusterUpdate(ctx, c); err != nil {
		return upgrade.TaskEvent{}, err
	}
	reason := t.ErrorMessage
	t.State, t.NextRunAt = upgrade.TaskRunning, now
	t.ErrorCode, t.ErrorMessage = "", ""
	t.Message = fmt.Sprintf("retrying the upgrade to %s from the step that failed", spec.TargetVersion)
	return s.event(upgrade.ReasonTaskRetried, fmt.Sprintf("task %s retried on request after it failed: %s", t.ID, reason)), nil
}

// cancel asks a running or paused task to stop at its next safe point; a
// failed upgrade has nothing in flight, so it ends canceled at once, in the
// step it stopped in.
func (s *Service) cancel(_ context.Context, _ store.Querier, t *upgrade.Task) (upgrade.TaskEvent, error) {
	if t.Retryable() {
		msg := fmt.Sprintf("the failed upgrade was canceled on request; what was upgraded stays upgraded. It had failed: %s", t.ErrorMessage)
		t.State, t.Desired = upgrade.TaskCanceled, upgrade.DesireNone
		t.ErrorCode, t.ErrorMessage, t.Message = "TaskCanceled", msg, msg
		return s.event("TaskCanceled", msg), nil
	}
	t.Desired = upgrade.DesireCancel
	t.Message = "cancel requested: stopping at the next safe point; nodes already upgraded stay upgraded"
	t.NextRunAt = s.now().UTC()
	return s.event(upgrade.ReasonTaskCancelRequested, fmt.Sprintf("cancellation of task %s requested", t.ID)), nil
}

func (s *Service) byID(ctx context.Context, account, taskID string) func(q store.Querier) (upgrade.Task, error) {
	return func(q store.Querier) (upgrade.Task, error) { return s.taskGet(ctx, q, account, taskID) }
}

// PauseTask pauses a running upgrade task at the next safe point.
func (s *Service) PauseTask(ctx context.Context, account, taskID string) error {
	return s.transition(ctx, account, s.byID(ctx, account, taskID), upgrade.CanPause, s.pause)
}

// ResumeTask resumes a paused task where it stopped, or retries a failed
// upgrade from the step that failed.
func (s *Service) ResumeTask(ctx context.Context, account, taskID string) error {
	return s.transition(ctx, account, s.byID(ctx, account, taskID), upgrade.CanResume, s.resume)
}

// CancelTask cancels a task at its next safe point.
func (s *Service) CancelTask(ctx context.Context, account, taskID string) error {
	return s.transition(ctx, account, s.byID(ctx, account, taskID), upgrade.CanCancel, s.cancel)
}

// clusterUpgrade picks the task the legacy cluster-scoped operations act
// on: the cluster's upgrade in progress, else its latest cluster upgrade.
func (s *Service) clusterUpgrade(ctx context.Context, account, clusterID string) func(q store.Querier) (upgrade.Task, error) {
	return func(q store.Querier) (upgrade.Task, error) {
		if _, err := s.clusterGet(ctx, q, account, clusterID); err != nil {
			return upgrade.Task{}, err
		}
		t, err := q.TaskActive(ctx, clusterID)
		if err == nil && (t.Type == upgrade.TaskClusterUpgrade || t.Type == upgrade.TaskNodePoolUpgrade) {
			return t, nil
		}
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return t, err
		}
		t, err = q.TaskLatest(ctx, clusterID, upgrade.TaskClusterUpgrade)
		if errors.Is(err, store.ErrNotFound) {
			return t, &upgrade.Error{Kind: upgrade.KindNotFound, Resource: upgrade.ResTask,
				Message: fmt.Sprintf("cluster %s has no upgrade task", clusterID)}
		}
		return t, err
	}
}

// PauseClusterUpgrade pauses the cluster's upgrade (legacy view of PauseTask).
func (s *Service) PauseClusterUpgrade(ctx context.Context, account, clusterID string) error {
	return s.transition(ctx, account, s.clusterUpgrade(ctx, account, clusterID), upgrade.CanPause, s.pause)
}

// ResumeClusterUpgrade resumes the cluster's paused upgrade or retries its
// failed one.
func (s *Service) ResumeClusterUpgrade(ctx context.Context, account, clusterID string) error {
	return s.transition(ctx, account, s.clusterUpgrade(ctx, account, clusterID), upgrade.CanResume, s.resume)
}

// CancelClusterUpgrade cancels the cluster's upgrade.
func (s *Service) CancelClusterUpgrade(ctx context.Context, account, clusterID string) error {
	return s.transition(ctx, account, s.clusterUpgrade(ctx, account, clusterID), upgrade.CanCancel, s.cancel)
}
