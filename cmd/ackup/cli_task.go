package main

import (
	"context"
	"fmt"
	"io"

	cs "github.com/alibabacloud-go/cs-20151215/v7/client"
	"github.com/alibabacloud-go/tea/dara"
)

// actionResult is what pause, resume and cancel print: their API answers
// carry no body, so the client reports what it did and the request id.
type actionResult struct {
	Action    string `json:"action"`
	TaskID    string `json:"task_id"`
	ClusterID string `json:"cluster_id,omitempty"`
	RequestID string `json:"request_id,omitempty"`
}

// taskAction pauses, resumes or cancels a task and reports it; clusterID,
// when known, goes into the report and the hints.
func (s *session) taskAction(verb, taskID, clusterID string) error {
	var (
		headers  map[string]*string
		retrying bool
	)
	switch verb {
	case "pause":
		r, err := s.cs.PauseTask(dara.String(taskID))
		if err != nil {
			return err
		}
		headers = r.Headers
	case "resume":
		// A failed upgrade is retried rather than resumed; say which.
		if info, err := s.cs.DescribeTaskInfo(dara.String(taskID)); err == nil {
			retrying = str(info.Body.State) == "failed"
		}
		r, err := s.cs.ResumeTask(dara.String(taskID))
		if err != nil {
			return err
		}
		headers = r.Headers
	case "cancel":
		r, err := s.cs.CancelTask(dara.String(taskID))
		if err != nil {
			return err
		}
		headers = r.Headers
	default:
		return fmt.Errorf("unknown task action %q", verb)
	}
	res := actionResult{Action: verb, TaskID: taskID, ClusterID: clusterID, RequestID: str(headers["x-acs-request-id"])}
	return s.out.emit(res, func(w io.Writer) {
		resume := "ackup task resume " + taskID
		if clusterID != "" {
			resume = "ackup upgrade resume " + clusterID
		}
		switch verb {
		case "pause":
			fmt.Fprintf(w, "Paused task %s; nodes in flight finish.\nResume with: %s\n", taskID, resume)
		case "resume":
			if retrying {
				fmt.Fprintf(w, "Retrying task %s from the step that failed.\n", taskID)
				break
			}
			fmt.Fprintf(w, "Resumed task %s.\n", taskID)
		case "cancel":
			fmt.Fprintf(w, "Canceling task %s at its next safe point.\n", taskID)
		}
	})
}

// taskAction returns "ackup task pause|resume|cancel".
func taskAction(verb string) func(context.Context, *cli, string, []string) error {
	return func(ctx context.Context, c *cli, name string, args []string) error {
		fs := c.flags(name)
		pos, s, err := c.parseConnect(fs, args, 1, 1)
		if err != nil {
			return err
		}
		return s.taskAction(verb, pos[0], "")
	}
}

// taskShow is "ackup task show".
func taskShow(ctx context.Context, c *cli, name string, args []string) error {
	fs := c.flags(name)
	events := fs.Int("events", 10, "how many of the newest events the table shows (0: all)")
	pos, s, err := c.parseConnect(fs, args, 1, 1)
	if err != nil {
		return err
	}
	resp, err := s.cs.DescribeTaskInfo(dara.String(pos[0]))
	if err != nil {
		return err
	}
	return s.out.emit(resp.Body, func(w io.Writer) { writeTask(w, resp.Body, *events) })
}

// writeTask renders a task: its fields, stages and newest events.
func writeTask(w io.Writer, b *cs.DescribeTaskInfoResponseBody, events int) {
	var target, errText string
	if b.Target != nil {
		target = str(b.Target.Type) + " " + str(b.Target.Id)
	}
	if b.Error != nil && str(b.Error.Message) != "" {
		errText = str(b.Error.Code) + ": " + str(b.Error.Message)
	}
	writeFields(w, field{"Task", str(b.TaskId)}, field{"Type", str(b.TaskType)}, field{"Cluster", str(b.ClusterId)},
		field{"Target", target}, field{"State", str(b.State)}, field{"Stage", str(b.CurrentStage)},
		field{"Created", shortTime(str(b.Created))}, field{"Updated", shortTime(str(b.Updated))}, field{"Error", errText})
	if len(b.Stages) > 0 {
		fmt.Fprintln(w)
		t := newTable(column{"STAGE", false}, column{"STATE", true}, column{"STARTED", true}, column{"ENDED", true})
		for _, st := range b.Stages {
			t.add(str(st.Message), str(st.State), shortTime(str(st.StartTime)), shortTime(str(st.EndTime)))
		}
		t.write(w)
	}
	evs := b.Events
	if events > 0 && len(evs) > events {
		evs = evs[len(evs)-events:]
	}
	if len(evs) > 0 {
		fmt.Fprintln(w)
		t := newTable(column{"TIME", true}, column{"REASON", true}, column{"MESSAGE", false})
		for _, e := range evs {
			at := str(e.Timestamp)
			if ts, ok := parseAPITime(at); ok {
				at = ts.Local().Format("15:04:05")
			}
			t.add(at, str(e.Reason), str(e.Message))
		}
		t.write(w)
	}
}

// taskList is "ackup task list".
func taskList(ctx context.Context, c *cli, name string, args []string) error {
	fs := c.flags(name)
	page := fs.Int("page", 1, "page number")
	pageSize := fs.Int("page-size", 20, "tasks per page (1 to 100)")
	pos, s, err := c.parseConnect(fs, args, 1, 1)
	if err != nil {
		return err
	}
	resp, err := s.cs.DescribeClusterTasks(dara.String(pos[0]), &cs.DescribeClusterTasksRequest{
		PageNumber: dara.Int32(int32(*page)), PageSize: dara.Int32(int32(*pageSize))})
	if err != nil {
		return err
	}
	return s.out.emitList(resp.Body, "tasks", func(w io.Writer) {
		t := newTable(column{"TASK ID", true}, column{"TYPE", true}, column{"STATE", true}, column{"CREATED", true}, column{"ERROR", false})
		for _, task := range resp.Body.Tasks {
			created := str(task.Created)
			if ts, ok := parseAPITime(created); ok {
				created = ts.Local().Format("01-02 15:04:05")
			}
			var errText string
			if task.Error != nil {
				errText = str(task.Error.Message)
			}
			t.add(str(task.TaskId), str(task.TaskType), str(task.State), created, errText)
		}
		t.write(w)
		if pi := resp.Body.PageInfo; pi != nil && dara.Int64Value(pi.TotalCount) > int64(len(resp.Body.Tasks)) {
			fmt.Fprintf(w, "(page %d, %d tasks in all)\n", dara.Int64Value(pi.PageNumber), dara.Int64Value(pi.TotalCount))
		}
	})
}
