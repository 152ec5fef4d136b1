package upgrade

import (
	"encoding/json"
	"fmt"
	"time"
)

// UpgradeStatus is GetUpgradeStatus's view of a cluster's upgrade: the five
// fields of docs/decisions.md, always present, and the whole upgrade_task.
type UpgradeStatus struct {
	Status           string // "", running, pause, success, fail
	UpgradeStep      string // not_start, prechecking, upgrading, pause, success, or the step a cancel stopped in
	ErrorMessage     string
	PrecheckReportID string
	TaskStatus       string // upgrade_task.status: "", running, Success, Failed
	TaskMessage      string // upgrade_task.message

	// Retries counts how many times a failed upgrade was taken up again.
	Retries int
	// Created and Finished are upgrade_task.created_at and finished_at;
	// zero when there is no task or it has not finished.
	Created, Finished time.Time
	// State is upgrade_task.upgrade_status.state: the task's state as
	// DescribeTaskInfo reports it.
	State string
	// Phase names where the upgrade is: PhaseMaster1 or PhaseNodes.
	Phase string
	// Total and Succeeded count the nodes of the upgrade.
	Total, Succeeded int
	// Failed and Canceled are upgrade_status.failed ("true"/"false" on the
	// wire) and is_canceled.
	Failed, Canceled bool
	// Events are the task's events, oldest first.
	Events []TaskEvent
}

// Phases as upgrade_task.upgrade_status.phase names them (the real service
// also knows Master2 and Master3, for the three control-plane nodes of a
// dedicated cluster; ackup upgrades a control plane in one step).
const (
	PhaseMaster1 = "Master1"
	PhaseNodes   = "Nodes"
)

// Stage names of an upgrade task (DescribeTaskInfo's current_stage).
const (
	StagePrecheck     = "Precheck"
	StageControlPlane = "UpgradeControlPlane"
	StageNodePools    = "UpgradeNodePools"
)

// Event reasons the status view reads.
const (
	// ReasonTaskRetried marks each time a failed upgrade was taken up
	// again; upgrade_task.retries counts them.
	ReasonTaskRetried = "TaskRetried"
)

// UpgradeStepPause is the upgrade_step of a paused and of a failed upgrade:
// the provider that decides on failure looks for a paused step with
// upgrade_status.failed "true" (docs/decisions.md, A failed upgrade).
const UpgradeStepPause = "pause"

// Progress is the public part of an upgrade's progress record (the task's
// Plan, which the engine writes): how many nodes the upgrade covers and how
// many are upgraded. The engine's plan embeds it, so both read the same keys.
type Progress struct {
	Total    int `json:"total"`
	Upgraded int `json:"upgraded"`
}

// ProgressOf reads the public part of a task's progress record; a task the
// engine has not laid out yet has none.
func ProgressOf(plan json.RawMessage) Progress {
	var p Progress
	if len(plan) > 0 {
		_ = json.Unmarshal(plan, &p) // an unreadable plan fails the task in the engine; here it counts nothing
	}
	return p
}

// SpecOf reads the task's upgrade spec from its parameters.
func SpecOf(t *Task) (UpgradeSpec, error) {
	var spec UpgradeSpec
	err := json.Unmarshal(t.Params, &spec)
	return spec, err
}

// Precheck returns the check record of a precheck run of upgrade task t
// that starts at start: Running, no verdict yet. The engine inserts it when
// the run starts; until the engine's first pass over a new upgrade, the
// service renders the reserved t.PrecheckID with it.
func Precheck(t *Task, spec UpgradeSpec, id string, start time.Time) Check {
	typ := CheckClusterUpgrade
	switch {
	case t.Type == TaskNodePoolUpgrade:
		typ = CheckNodePoolUpgrade
	case spec.MasterOnly:
		typ = CheckMasterUpgrade
	}
	return Check{ID: id, ClusterID: t.ClusterID, Type: typ, Target: t.TargetID,
		Options: map[string]string{"targetVersion": spec.TargetVersion}, Status: CheckRunning, Created: start}
}

// PrecheckMessage is upgrade_task.message while an upgrade's precheck runs.
func PrecheckMessage(target string) string {
	return fmt.Sprintf("prechecking the upgrade to %s", target)
}

// StatusOf renders a cluster upgrade task in the old, cluster-scoped view,
// following the state table of docs/decisions.md; evs are the task's events,
// oldest first. A nil task means the cluster was never upgraded. A task the
// engine has not taken up yet renders from its spec: prechecking.
func StatusOf(t *Task, evs []TaskEvent) UpgradeStatus {
	if t == nil {
		return UpgradeStatus{UpgradeStep: "not_start"}
	}
	t = Laid(t)
	prog := ProgressOf(t.Plan)
	s := UpgradeStatus{
		PrecheckReportID: t.PrecheckID,
		TaskMessage:      t.Message,
		UpgradeStep:      t.Step,
		Created:          t.Created,
		State:            string(t.State),
		Phase:            phaseOf(t),
		Total:            prog.Total,
		Succeeded:        prog.Upgraded,
		Events:           evs,
	}
	for _, ev := range evs {
		if ev.Reason == ReasonTaskRetried {
			s.Retries++
		}
	}
	if s.UpgradeStep == "" {
		s.UpgradeStep = StepPrechecking
	}
	if t.State.Terminal() {
		s.Finished = t.Updated
	}
	switch t.State {
	case TaskRunning:
		s.Status, s.TaskStatus = "running", "running"
	case TaskPaused:
		s.Status, s.UpgradeStep, s.TaskStatus = "pause", UpgradeStepPause, "running"
	case TaskSuccess:
		s.Status, s.UpgradeStep, s.TaskStatus = "success", "success", "Success"
	case TaskFailed:
		s.Status, s.UpgradeStep, s.TaskStatus = "fail", UpgradeStepPause, "Failed"
		s.Failed = true
		s.ErrorMessage = t.ErrorMessage
		if s.ErrorMessage == "" {
			s.ErrorMessage = "the upgrade failed; its events say where"
		}
	case TaskCanceled:
		s.Status, s.TaskStatus = "fail", "Failed"
		s.Canceled = true
		s.ErrorMessage = t.ErrorMessage
		if s.ErrorMessage == "" {
			s.ErrorMessage = "the upgrade was canceled"
		}
	}
	return s
}

// Laid returns an upgrade task as the engine's first pass lays it out:
// a new upgrade that the engine has not taken up yet (no stage) is shown
// prechecking, in a running Precheck stage that started when the task was
// created, with the precheck message unless the engine wrote one (the
// reason it keeps retrying). Any other task is returned as is.
// Both views render through it, so they read the same before and after
// the engine's first pass.
func Laid(t *Task) *Task {
	if len(t.Stages) > 0 || t.State != TaskRunning || (t.Type != TaskClusterUpgrade && t.Type != TaskNodePoolUpgrade) {
		return t
	}
	spec, err := SpecOf(t)
	if err != nil {
		return t
	}
	l := *t
	l.Step, l.Stage = StepPrechecking, StagePrecheck
	if l.Message == "" { // the engine may have written why it cannot take the task up yet
		l.Message = PrecheckMessage(spec.TargetVersion)
	}
	l.Stages = []Stage{{Name: StagePrecheck, State: "running", Start: t.Created}}
	return &l
}

// phaseOf names where an upgrade is: the control plane (and the precheck
// before it) is Master1, the node pools are Nodes; a node pool upgrade is
// Nodes from the start.
func phaseOf(t *Task) string {
	if t.Type == TaskNodePoolUpgrade || t.Stage == StageNodePools {
		return PhaseNodes
	}
	return PhaseMaster1
}

// Retryable reports whether a task is a failed upgrade, which ResumeTask
// takes up again from the step that failed and CancelTask ends.
func (t *Task) Retryable() bool {
	return t.State == TaskFailed && (t.Type == TaskClusterUpgrade || t.Type == TaskNodePoolUpgrade)
}

// CanPause says whether a task in state s may be paused.
func CanPause(t *Task) error {
	switch {
	case t.State == TaskPaused:
		return TaskStatef("task %s is already paused", t.ID)
	case t.State != TaskRunning:
		return TaskStatef("task %s is %s; only a running task can be paused", t.ID, t.State)
	case t.Desired == DesireCancel:
		return TaskStatef("task %s is being canceled", t.ID)
	case t.Type == TaskClusterCreate || t.Type == TaskClusterDelete:
		return TaskStatef("task %s (%s) cannot be paused", t.ID, t.Type)
	}
	return nil
}

// CanResume says whether a task may be resumed: a paused task goes on where
// it stopped, a failed upgrade is retried from the step that failed.
func CanResume(t *Task) error {
	if t.State != TaskPaused && !t.Retryable() {
		return TaskStatef("task %s is %s; only a paused task or a failed upgrade can be resumed", t.ID, t.State)
	}
	return nil
}

// CanCancel says whether a task may be canceled: a running or paused one at
// its next safe point, a failed upgrade at once.
func CanCancel(t *Task) error {
	switch {
	case t.Retryable():
		return nil
	case t.State.Terminal():
		return TaskStatef("task %s has already finished (%s) and cannot be canceled", t.ID, t.State)
	case t.Desired == DesireCancel:
		return TaskStatef("task %s is already being canceled", t.ID)
	case t.Type == TaskClusterCreate || t.Type == TaskClusterDelete:
		return TaskStatef("task %s (%s) cannot be canceled", t.ID, t.Type)
	}
	return nil
}
