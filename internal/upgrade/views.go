package upgrade

// UpgradeStatus is GetUpgradeStatus's view of a cluster's upgrade: the five
// fields of decisions.md, always present.
type UpgradeStatus struct {
	Status           string // "", running, pause, success, fail
	UpgradeStep      string // not_start, prechecking, upgrading, pause, success, or the step a failure stopped in
	ErrorMessage     string
	PrecheckReportID string
	TaskStatus       string // upgrade_task.status: "", running, Success, Failed
	TaskMessage      string // upgrade_task.message
}

// StatusOf renders a cluster upgrade task in the old, cluster-scoped view,
// following the state table of decisions.md. A nil task means the cluster
// was never upgraded.
func StatusOf(t *Task) UpgradeStatus {
	if t == nil {
		return UpgradeStatus{UpgradeStep: "not_start"}
	}
	s := UpgradeStatus{
		PrecheckReportID: t.PrecheckID,
		TaskMessage:      t.Message,
		UpgradeStep:      t.Step,
	}
	if s.UpgradeStep == "" {
		s.UpgradeStep = StepPrechecking
	}
	switch t.State {
	case TaskRunning:
		s.Status, s.TaskStatus = "running", "running"
	case TaskPaused:
		s.Status, s.UpgradeStep, s.TaskStatus = "pause", "pause", "running"
	case TaskSuccess:
		s.Status, s.UpgradeStep, s.TaskStatus = "success", "success", "Success"
	case TaskFailed:
		s.Status, s.TaskStatus = "fail", "Failed"
		s.ErrorMessage = t.ErrorMessage
	case TaskCanceled:
		s.Status, s.TaskStatus = "fail", "Failed"
		s.ErrorMessage = t.ErrorMessage
		if s.ErrorMessage == "" {
			s.ErrorMessage = "the upgrade was canceled"
		}
	}
	return s
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

// CanResume says whether a task may be resumed.
func CanResume(t *Task) error {
	if t.State != TaskPaused {
		return TaskStatef("task %s is %s; only a paused task can be resumed", t.ID, t.State)
	}
	return nil
}

// CanCancel says whether a task may be canceled.
func CanCancel(t *Task) error {
	switch {
	case t.State.Terminal():
		return TaskStatef("task %s has already finished (%s) and cannot be canceled", t.ID, t.State)
	case t.Desired == DesireCancel:
		return TaskStatef("task %s is already being canceled", t.ID)
	case t.Type == TaskClusterCreate || t.Type == TaskClusterDelete:
		return TaskStatef("task %s (%s) cannot be canceled", t.ID, t.Type)
	}
	return nil
}
