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
	return TaskView{Task: t, Events: evs}, nil
}

// ListTasks returns a page of a cluster's tasks, newest first.
func (s *Service) ListTasks(ctx context.Context, account, clusterID string, offset, limit int) ([]upgrade.Task, int, error) {
	if _, err := s.clusterGet(ctx, s.st, account, clusterID); err != nil {
		return nil, 0, err
	}
	ts, total, err := s.st.TaskList(ctx, store.TaskListParams{ClusterID: clusterID, Offset: offset, Limit: limit})
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
	legal func(*upgrade.Task) error, change func(*upgrade.Task) upgrade.TaskEvent) error {
	var id string
	err := s.st.InTx(ctx, func(q store.Querier) error {
		t, err := pick(q)
		if err != nil {
			return err
		}
		if err := legal(&t); err != nil {
			return err
		}
		ev := change(&t)
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

func (s *Service) pause(t *upgrade.Task) upgrade.TaskEvent {
	t.State = upgrade.TaskPaused
	t.Message = "paused on request: nodes already in flight finish their upgrade, no new node starts; resume with ResumeTask"
	return s.event("TaskPaused", fmt.Sprintf("task %s paused on request", t.ID))
}

func (s *Service) resume(t *upgrade.Task) upgrade.TaskEvent {
	t.State = upgrade.TaskRunning
	t.Message = "resumed on request"
	t.NextRunAt = s.now().UTC()
	return s.event("TaskResumed", fmt.Sprintf("task %s resumed on request", t.ID))
}

func (s *Service) cancel(t *upgrade.Task) upgrade.TaskEvent {
	t.Desired = upgrade.DesireCancel
	t.Message = "cancel requested: stopping at the next safe point; nodes already upgraded stay upgraded"
	t.NextRunAt = s.now().UTC()
	return s.event("TaskCancelRequested", fmt.Sprintf("cancellation of task %s requested", t.ID))
}

func (s *Service) byID(ctx context.Context, account, taskID string) func(q store.Querier) (upgrade.Task, error) {
	return func(q store.Querier) (upgrade.Task, error) { return s.taskGet(ctx, q, account, taskID) }
}

// PauseTask pauses a running upgrade task at the next safe point.
func (s *Service) PauseTask(ctx context.Context, account, taskID string) error {
	return s.transition(ctx, account, s.byID(ctx, account, taskID), upgrade.CanPause, s.pause)
}

// ResumeTask resumes a paused task where it stopped.
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

// ResumeClusterUpgrade resumes the cluster's paused upgrade.
func (s *Service) ResumeClusterUpgrade(ctx context.Context, account, clusterID string) error {
	return s.transition(ctx, account, s.clusterUpgrade(ctx, account, clusterID), upgrade.CanResume, s.resume)
}

// CancelClusterUpgrade cancels the cluster's upgrade.
func (s *Service) CancelClusterUpgrade(ctx context.Context, account, clusterID string) error {
	return s.transition(ctx, account, s.clusterUpgrade(ctx, account, clusterID), upgrade.CanCancel, s.cancel)
}
