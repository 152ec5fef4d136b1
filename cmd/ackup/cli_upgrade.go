package main

import (
	"context"
	"fmt"
	"io"
	"time"

	cs "github.com/alibabacloud-go/cs-20151215/v7/client"
	"github.com/alibabacloud-go/tea/dara"
)

// Task types of upgrades.
const (
	taskClusterUpgrade  = "cluster_upgrade"
	taskNodePoolUpgrade = "nodepool_upgrade"
)

// upgradeStart is "ackup upgrade start".
func upgradeStart(ctx context.Context, c *cli, name string, args []string) error {
	fs := c.flags(name)
	to := fs.String("to", "", "target version (default the newest version the cluster may go to)")
	masterOnly := fs.Bool("master-only", false, "upgrade the control plane only")
	watch := fs.Bool("watch", false, "follow the upgrade live until it ends (exit 3 if it fails)")
	var wo watchOptions
	wo.register(fs)
	pos, s, err := c.parseConnect(fs, args, 1, 1)
	if err != nil {
		return err
	}
	clusterID := pos[0]
	d, err := s.cs.DescribeClusterDetail(dara.String(clusterID))
	if err != nil {
		return err
	}
	target := *to
	if target == "" {
		if target, err = s.upgradeTarget(d.Body); err != nil {
			return err
		}
	}
	req := &cs.UpgradeClusterRequest{NextVersion: dara.String(target)}
	if *masterOnly {
		req.MasterOnly = dara.Bool(true)
	}
	resp, err := s.cs.UpgradeCluster(dara.String(clusterID), req)
	if err != nil {
		return err
	}
	taskID := str(resp.Body.TaskId)
	err = s.out.emit(resp.Body, func(w io.Writer) {
		writeFields(w, field{"Cluster", clusterID}, field{"Upgrade", str(d.Body.CurrentVersion) + " -> " + target}, field{"Task", taskID})
	})
	if err != nil || !*watch {
		return err
	}
	return c.watch(ctx, s, clusterID, taskID, wo)
}

// upgradeStatus is "ackup upgrade status": GetUpgradeStatus's view.
func upgradeStatus(ctx context.Context, c *cli, name string, args []string) error {
	fs := c.flags(name)
	pos, s, err := c.parseConnect(fs, args, 1, 1)
	if err != nil {
		return err
	}
	//lint:ignore SA1019 deprecated on ACK but still served; "upgrade status" is exactly its view
	resp, err := s.cs.GetUpgradeStatus(dara.String(pos[0]))
	if err != nil {
		return err
	}
	b := resp.Body
	return s.out.emit(b, func(w io.Writer) {
		var taskStatus, message string
		if b.UpgradeTask != nil {
			taskStatus, message = str(b.UpgradeTask.Status), str(b.UpgradeTask.Message)
		}
		writeFields(w, field{"Cluster", pos[0]}, field{"Status", cmpOrDash(str(b.Status))}, field{"Step", str(b.UpgradeStep)},
			field{"Task status", taskStatus}, field{"Message", message}, field{"Error", str(b.ErrorMessage)},
			field{"Precheck", str(b.PrecheckReportId)})
	})
}

// latestUpgradeTask returns the cluster's newest upgrade task (a cluster or
// node pool upgrade), or nil when it has none.
func (s *session) latestUpgradeTask(clusterID string) (*cs.DescribeClusterTasksResponseBodyTasks, error) {
	resp, err := s.cs.DescribeClusterTasks(dara.String(clusterID), &cs.DescribeClusterTasksRequest{
		PageNumber: dara.Int32(1), PageSize: dara.Int32(50)})
	if err != nil {
		return nil, err
	}
	var best *cs.DescribeClusterTasksResponseBodyTasks
	var bestAt time.Time
	for _, t := range resp.Body.Tasks {
		if typ := str(t.TaskType); typ != taskClusterUpgrade && typ != taskNodePoolUpgrade {
			continue
		}
		at, _ := parseAPITime(str(t.Created))
		if best == nil || at.After(bestAt) {
			best, bestAt = t, at
		}
	}
	return best, nil
}

// upgradeTaskOf returns the id of the cluster's newest upgrade task, or an
// error that says there is none.
func (s *session) upgradeTaskOf(clusterID string) (string, error) {
	t, err := s.latestUpgradeTask(clusterID)
	if err != nil {
		return "", err
	}
	if t == nil {
		return "", fmt.Errorf("cluster %s has no upgrade task; start one with 'ackup upgrade start %s'", clusterID, clusterID)
	}
	return str(t.TaskId), nil
}

// upgradeAction returns "ackup upgrade pause|resume|cancel": the verb
// applied with the task API to the cluster's newest upgrade task.
func upgradeAction(verb string) func(context.Context, *cli, string, []string) error {
	return func(ctx context.Context, c *cli, name string, args []string) error {
		fs := c.flags(name)
		pos, s, err := c.parseConnect(fs, args, 1, 1)
		if err != nil {
			return err
		}
		taskID, err := s.upgradeTaskOf(pos[0])
		if err != nil {
			return err
		}
		return s.taskAction(verb, taskID, pos[0])
	}
}

// upgradeWatch is "ackup upgrade watch".
func upgradeWatch(ctx context.Context, c *cli, name string, args []string) error {
	fs := c.flags(name)
	taskID := fs.String("task", "", "the task to follow (default the cluster's newest upgrade task)")
	var wo watchOptions
	wo.register(fs)
	pos, s, err := c.parseConnect(fs, args, 1, 1)
	if err != nil {
		return err
	}
	if *taskID == "" {
		if *taskID, err = s.upgradeTaskOf(pos[0]); err != nil {
			return err
		}
	}
	return c.watch(ctx, s, pos[0], *taskID, wo)
}
