package api

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/ackup/ackup/internal/service"
	"github.com/ackup/ackup/internal/upgrade"
)

// describeClusterTasks pages a cluster's tasks, newest first. Unlike most
// operations its request id key is camelCase requestId.
func (s *server) describeClusterTasks(ctx context.Context, c *call) (any, error) {
	number, size := c.queryInt("page_number", 1), c.queryInt("page_size", 10)
	tasks, total, err := s.backend.ListTasks(ctx, c.account, c.path("cluster_id"), (number-1)*size, size)
	if err != nil {
		return nil, err
	}
	body := &tasksBody{
		PageInfo:  pageInfo{PageNumber: int64(number), PageSize: int64(size), TotalCount: int64(total)},
		RequestID: c.requestID, Tasks: make([]taskItem, 0, len(tasks)),
	}
	for i := range tasks {
		body.Tasks = append(body.Tasks, taskItemOf(&tasks[i]))
	}
	return body, nil
}

func (s *server) describeTaskInfo(ctx context.Context, c *call) (any, error) {
	v, err := s.backend.DescribeTask(ctx, c.account, c.path("task_id"))
	if err != nil {
		return nil, err
	}
	return taskInfoBodyOf(&v, c.requestID), nil
}

// The task controls answer 200 with {}; the SDK reads nothing of it.

func (s *server) pauseTask(ctx context.Context, c *call) (any, error) {
	return nil, s.backend.PauseTask(ctx, c.account, c.path("task_id"))
}

func (s *server) resumeTask(ctx context.Context, c *call) (any, error) {
	return nil, s.backend.ResumeTask(ctx, c.account, c.path("task_id"))
}

func (s *server) cancelTask(ctx context.Context, c *call) (any, error) {
	return nil, s.backend.CancelTask(ctx, c.account, c.path("task_id"))
}

type taskError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// taskErrorOf returns a task's error, nil when it has none. A failed task
// always has a message: some clients treat a failure without one as a
// broken response.
func taskErrorOf(t *upgrade.Task) *taskError {
	e := taskError{Code: t.ErrorCode, Message: t.ErrorMessage}
	if t.State == upgrade.TaskFailed && e.Message == "" {
		e.Message = "the task failed; its events say where"
	}
	if e.Code == "" && e.Message == "" {
		return nil
	}
	return &e
}

type tasksBody struct {
	PageInfo  pageInfo   `json:"page_info"`
	RequestID string     `json:"requestId"`
	Tasks     []taskItem `json:"tasks"`
}

type taskItem struct {
	Created  string     `json:"created"`
	Error    *taskError `json:"error,omitempty"`
	State    string     `json:"state"`
	TaskID   string     `json:"task_id"`
	TaskType string     `json:"task_type"`
	Updated  string     `json:"updated"`
}

func taskItemOf(t *upgrade.Task) taskItem {
	return taskItem{Created: wireTime(t.Created), Error: taskErrorOf(t), State: string(t.State),
		TaskID: t.ID, TaskType: string(t.Type), Updated: wireTime(t.Updated)}
}

// taskInfoBody is DescribeTaskInfo's body. requestId is not in the SDK's
// model but clients read it (spec 2.4), so it is emitted in its
// alphabetical place. ackup_progress is an ackup extension on upgrade
// tasks (SDKs ignore keys their model lacks): the counts, node steps and
// blocker that ACK's body only tells in prose.
type taskInfoBody struct {
	Progress     *progressBody   `json:"ackup_progress,omitempty"`
	ClusterID    string          `json:"cluster_id"`
	Created      string          `json:"created"`
	CurrentStage string          `json:"current_stage"`
	Error        *taskError      `json:"error,omitempty"`
	Events       []eventBody     `json:"events"`
	Parameters   json.RawMessage `json:"parameters"`
	RequestID    string          `json:"requestId"`
	Stages       []stageBody     `json:"stages"`
	State        string          `json:"state"`
	Target       targetBody      `json:"target"`
	TaskID       string          `json:"task_id"`
	TaskResult   []taskResult    `json:"task_result"`
	TaskType     string          `json:"task_type"`
	Updated      string          `json:"updated"`
}

type eventBody struct {
	Action    string `json:"action"`
	Level     string `json:"level"`
	Message   string `json:"message"`
	Reason    string `json:"reason"`
	Source    string `json:"source"`
	Timestamp string `json:"timestamp"` // epoch milliseconds, as a string
}

type stageBody struct {
	EndTime   string            `json:"end_time"`
	Message   string            `json:"message"`
	Outputs   map[string]string `json:"outputs,omitempty"`
	StartTime string            `json:"start_time"`
	State     string            `json:"state"`
}

type targetBody struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

type taskResult struct {
	Data   string `json:"data"`
	Status string `json:"status"`
}

func taskInfoBodyOf(v *service.TaskView, requestID string) *taskInfoBody {
	t := &v.Task
	b := &taskInfoBody{
		ClusterID: t.ClusterID, Created: wireTime(t.Created), CurrentStage: t.Stage, Error: taskErrorOf(t),
		Events: make([]eventBody, 0, len(v.Events)), Parameters: parametersOf(t.Params), RequestID: requestID,
		Stages: make([]stageBody, 0, len(t.Stages)), State: string(t.State),
		Target: targetBody{ID: t.TargetID, Type: t.TargetType}, TaskID: t.ID,
		TaskResult: []taskResult{{Data: t.TargetID, Status: resultStatus(t.State)}},
		TaskType:   string(t.Type), Updated: wireTime(t.Updated),
	}
	if t.Type == upgrade.TaskClusterUpgrade || t.Type == upgrade.TaskNodePoolUpgrade {
		b.Progress = progressBodyOf(t)
	}
	for _, e := range v.Events {
		b.Events = append(b.Events, eventBody{Action: e.Action, Level: e.Level, Message: e.Message, Reason: e.Reason,
			Source: e.Source, Timestamp: strconv.FormatInt(e.Time.UnixMilli(), 10)})
	}
	for _, st := range t.Stages {
		// The SDK's stage has no name; the message carries it when the
		// stage has nothing else to say.
		msg := st.Message
		if msg == "" {
			msg = st.Name
		}
		b.Stages = append(b.Stages, stageBody{EndTime: stageTime(st.End), Message: msg, Outputs: st.Outputs,
			StartTime: stageTime(st.Start), State: st.State})
	}
	return b
}

// parametersOf returns a task's parameters as a JSON object ({} when the
// task recorded none or something that is not an object).
func parametersOf(raw json.RawMessage) json.RawMessage {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' || !json.Valid(raw) {
		return json.RawMessage(`{}`)
	}
	return raw
}

// resultStatus is the task_result status of the task's target.
func resultStatus(s upgrade.TaskState) string {
	switch s {
	case upgrade.TaskSuccess:
		return "success"
	case upgrade.TaskFailed, upgrade.TaskCanceled:
		return "failed"
	}
	return "initial"
}

// progressBody is ackup_progress; see upgrade.RolloutProgress.
type progressBody struct {
	Blocker      *blockerBody       `json:"blocker,omitempty"`
	InFlight     []nodeStepBody     `json:"in_flight"`
	NodePool     string             `json:"node_pool"`
	Nodes        []nodeStepBody     `json:"nodes"`
	NodesDone    int                `json:"nodes_done"`
	NodesSkipped int                `json:"nodes_skipped"`
	NodesTotal   int                `json:"nodes_total"`
	Pools        []poolProgressBody `json:"pools"`
	Stage        string             `json:"stage"`
}

type blockerBody struct {
	Message string `json:"message"`
	Node    string `json:"node"`
	PDB     string `json:"pdb"`
	Pod     string `json:"pod"`
}

type nodeStepBody struct {
	Node string `json:"node"`
	Step string `json:"step"`
}

// poolProgressBody is a pool of ackup_progress; its times are RFC 3339
// with milliseconds (the per-node pace of a fast rollout is below a
// second), "" until they happen.
type poolProgressBody struct {
	LastDone   string `json:"last_done"`
	Name       string `json:"name"`
	NodepoolID string `json:"nodepool_id"`
	NodesDone  int    `json:"nodes_done"`
	NodesTotal int    `json:"nodes_total"`
	Started    string `json:"started"`
	State      string `json:"state"`
}

const progressTimeLayout = "2006-01-02T15:04:05.000Z07:00"

func progressTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(progressTimeLayout)
}

// progressBodyOf renders the task's recorded progress; a task the engine
// has not taken up yet shows its stage and nothing counted.
func progressBodyOf(t *upgrade.Task) *progressBody {
	p := upgrade.RolloutProgressOf(t)
	if p == nil {
		p = &upgrade.RolloutProgress{}
	}
	b := &progressBody{Stage: t.Stage, NodePool: p.NodePool, NodesTotal: p.NodesTotal, NodesDone: p.NodesDone,
		NodesSkipped: p.NodesSkipped, Pools: make([]poolProgressBody, 0, len(p.Pools)),
		Nodes: nodeStepsOf(p.Nodes), InFlight: nodeStepsOf(p.InFlight)}
	for _, pp := range p.Pools {
		b.Pools = append(b.Pools, poolProgressBody{NodepoolID: pp.ID, Name: pp.Name, NodesTotal: pp.NodesTotal,
			NodesDone: pp.NodesDone, State: pp.State, Started: progressTime(pp.Started), LastDone: progressTime(pp.LastDone)})
	}
	if bl := p.Blocker; bl != nil {
		b.Blocker = &blockerBody{Node: bl.Node, Pod: bl.Pod, PDB: bl.PDB, Message: bl.Message}
	}
	return b
}

func nodeStepsOf(ns []upgrade.NodeProgress) []nodeStepBody {
	out := make([]nodeStepBody, 0, len(ns))
	for _, n := range ns {
		out = append(out, nodeStepBody{Node: n.Node, Step: string(n.Step)})
	}
	return out
}
