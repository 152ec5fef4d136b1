package main

import (
	"encoding/json"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// watchLine is one line of watch's plain output.
var watchLine = regexp.MustCompile(`^\d\d:\d\d:\d\d (.+)$`)

// poolLine matches a plain line about a node pool's progress.
var poolLine = regexp.MustCompile(`^upgrading pool (\S+) (\d+)/(\d+) nodes`)

// checkWatchLines checks plain watch output: every line time-stamped, the
// phases in order (precheck, control plane, pools), each pool's count never
// going down, and the last line the outcome. It returns the lines' texts.
func checkWatchLines(t *testing.T, out, outcome string) []string {
	t.Helper()
	var texts []string
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		m := watchLine.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("watch line %q is not 'HH:MM:SS text'; output:\n%s", l, out)
		}
		texts = append(texts, m[1])
	}
	rank := func(s string) int {
		switch {
		case strings.HasPrefix(s, "prechecking"):
			return 0
		case strings.HasPrefix(s, "upgrading the control plane"):
			return 1
		case strings.HasPrefix(s, "upgrading pool"):
			return 2
		}
		return 3
	}
	counts := map[string]int{}
	for i, s := range texts {
		if i > 0 && rank(s) < rank(texts[i-1]) && rank(s) < 3 {
			t.Errorf("line %q comes after %q; output:\n%s", s, texts[i-1], out)
		}
		if m := poolLine.FindStringSubmatch(s); m != nil {
			n, _ := strconv.Atoi(m[2])
			if n < counts[m[1]] {
				t.Errorf("pool %s went back from %d to %d nodes; output:\n%s", m[1], counts[m[1]], n, out)
			}
			counts[m[1]] = n
		}
	}
	if last := texts[len(texts)-1]; !strings.HasPrefix(last, outcome) {
		t.Errorf("last line %q, want it to start with %q; output:\n%s", last, outcome, out)
	}
	return texts
}

// splitHeader splits the first n lines (what the command printed before
// watching) from the rest.
func splitHeader(t *testing.T, out string, n int) (string, string) {
	t.Helper()
	lines := strings.SplitAfter(out, "\n")
	if len(lines) <= n {
		t.Fatalf("output has %d lines, want more than %d:\n%s", len(lines), n, out)
	}
	return strings.Join(lines[:n], ""), strings.Join(lines[n:], "")
}

func TestUpgradeStartWatchPlain(t *testing.T) {
	t.Parallel()
	e := startServer(t, 500)
	id := e.createCluster("--name", "up", "--version", "1.33.1-aliyun.1", "--nodes", "3")

	r := e.run("upgrade", "start", id, "--to", "1.33.3-aliyun.1", "--watch", "--interval", "20ms")
	if r.code != 0 {
		t.Fatalf("upgrade start --watch: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	head, rest := splitHeader(t, r.stdout, 3)
	if !strings.HasPrefix(head, "Cluster:  "+id+"\nUpgrade:  1.33.1-aliyun.1 -> 1.33.3-aliyun.1\nTask:     T-") {
		t.Errorf("upgrade start printed:\n%s", head)
	}
	texts := checkWatchLines(t, rest, "upgrade succeeded: cluster "+id+" reached 1.33.3-aliyun.1")
	if !slices.ContainsFunc(texts, func(s string) bool { return strings.HasPrefix(s, "upgrading the control plane to 1.33.3-aliyun.1") }) {
		t.Errorf("no control plane line in:\n%s", rest)
	}
	if !slices.ContainsFunc(texts, func(s string) bool { return poolLine.MatchString(s) && strings.Contains(s, "in flight cn-hangzhou.") }) {
		t.Errorf("no pool line with a node in flight in:\n%s", rest)
	}

	var status struct {
		Status      string `json:"status"`
		UpgradeStep string `json:"upgrade_step"`
		Precheck    string `json:"precheck_report_id"`
		UpgradeTask struct {
			Status string `json:"status"`
		} `json:"upgrade_task"`
	}
	e.okJSON(&status, "upgrade", "status", id)
	if status.Status != "success" || status.UpgradeStep != "success" || status.UpgradeTask.Status != "Success" || status.Precheck == "" {
		t.Errorf("upgrade status = %+v", status)
	}
	assertFits(t, e.ok("upgrade", "status", id))

	var detail struct {
		CurrentVersion string `json:"current_version"`
		State          string `json:"state"`
	}
	e.okJSON(&detail, "cluster", "show", id)
	if detail.CurrentVersion != "1.33.3-aliyun.1" || detail.State != "running" {
		t.Errorf("after the upgrade the cluster is %+v", detail)
	}

	// The task is listed, described, and now past pausing.
	var tasks struct {
		Tasks []struct {
			TaskID   string `json:"task_id"`
			TaskType string `json:"task_type"`
			State    string `json:"state"`
		} `json:"tasks"`
	}
	e.okJSON(&tasks, "task", "list", id)
	if len(tasks.Tasks) < 2 || tasks.Tasks[0].TaskType != "cluster_upgrade" || tasks.Tasks[0].State != "success" {
		t.Fatalf("task list = %+v, want the upgrade first", tasks)
	}
	taskID := tasks.Tasks[0].TaskID
	assertFits(t, e.ok("task", "list", id))
	var info struct {
		TaskID string `json:"task_id"`
		State  string `json:"state"`
		Events []struct {
			Reason string `json:"reason"`
		} `json:"events"`
	}
	e.okJSON(&info, "task", "show", taskID)
	if info.TaskID != taskID || info.State != "success" || len(info.Events) == 0 {
		t.Errorf("task show = %+v", info)
	}
	assertFits(t, e.ok("task", "show", taskID))
	assertAPIError(t, e.run("task", "pause", taskID), "ErrorTaskState")
	assertAPIError(t, e.run("upgrade", "cancel", id), "ErrorTaskState")

	// The precheck of the upgrade is a check like any other.
	var checks struct {
		Checks []struct {
			CheckID string `json:"check_id"`
			Status  string `json:"status"`
		} `json:"checks"`
	}
	e.okJSON(&checks, "check", "list", id)
	if len(checks.Checks) != 1 || checks.Checks[0].CheckID != status.Precheck || checks.Checks[0].Status != "Succeeded" {
		t.Errorf("check list = %+v, want the precheck %s", checks, status.Precheck)
	}
	assertFits(t, e.ok("check", "list", id))
}

func TestUpgradePauseResumeCancel(t *testing.T) {
	t.Parallel()
	// Slow enough that the upgrade is still running between the commands.
	e := startServer(t, 200)
	id := e.createCluster("--name", "steer", "--version", "1.33.1-aliyun.1", "--nodes", "2")

	r := e.run("upgrade", "pause", id)
	if r.code != exitFailed || !strings.Contains(r.stderr, "has no upgrade task") {
		t.Errorf("pause without an upgrade: exit %d, stderr %q", r.code, r.stderr)
	}

	var started struct {
		ClusterID string `json:"cluster_id"`
		TaskID    string `json:"task_id"`
	}
	// No --to: the newest version the cluster may go to.
	e.okJSON(&started, "upgrade", "start", id)
	var status struct {
		Status string `json:"status"`
	}
	var act actionResult
	e.okJSON(&act, "upgrade", "pause", id)
	if act.Action != "pause" || act.TaskID != started.TaskID || act.ClusterID != id || act.RequestID == "" {
		t.Errorf("upgrade pause = %+v, want task %s", act, started.TaskID)
	}
	e.okJSON(&status, "upgrade", "status", id)
	if status.Status != "pause" {
		t.Errorf("status after pause = %q, want pause", status.Status)
	}
	if out := e.ok("upgrade", "resume", id); !strings.HasPrefix(out, "Resumed task "+started.TaskID) {
		t.Errorf("upgrade resume printed %q", out)
	}
	e.okJSON(&status, "upgrade", "status", id)
	if status.Status != "running" {
		t.Errorf("status after resume = %q, want running", status.Status)
	}
	e.okJSON(&act, "task", "cancel", started.TaskID)
	if act.Action != "cancel" || act.TaskID != started.TaskID {
		t.Errorf("task cancel = %+v", act)
	}

	r = e.run("upgrade", "watch", id, "--interval", "20ms")
	if r.code != exitOutcome {
		t.Fatalf("watch of a canceled upgrade: exit %d, want %d\n%s\n%s", r.code, exitOutcome, r.stdout, r.stderr)
	}
	checkWatchLines(t, r.stdout, "upgrade canceled: ")
	if !strings.HasPrefix(r.stderr, "ackup: task "+started.TaskID+" ended canceled") {
		t.Errorf("stderr %q", r.stderr)
	}
	var info struct {
		State string `json:"state"`
	}
	e.okJSON(&info, "task", "show", started.TaskID)
	if info.State != "canceled" {
		t.Errorf("task state %q, want canceled", info.State)
	}
}

func TestWatchFailedUpgrade(t *testing.T) {
	t.Parallel()
	e := startServer(t, 1000)
	id := e.createCluster("--name", "doomed", "--version", "1.33.1-aliyun.1", "--nodes", "1", "--fault", "control-plane-fail=true")
	var started struct {
		TaskID string `json:"task_id"`
	}
	e.okJSON(&started, "upgrade", "start", id, "--to", "1.34.1-aliyun.1")

	r := e.run("upgrade", "watch", id, "--interval", "20ms", "-o", "json")
	if r.code != exitOutcome {
		t.Fatalf("exit %d, want %d\n%s\n%s", r.code, exitOutcome, r.stdout, r.stderr)
	}
	// One JSON snapshot per line, the last one the outcome.
	var last snapshot
	for _, l := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		if err := json.Unmarshal([]byte(l), &last); err != nil {
			t.Fatalf("line %q is not a JSON snapshot: %v", l, err)
		}
	}
	if last.State != "failed" || last.TaskID != started.TaskID || !strings.Contains(last.Error, "control plane") {
		t.Errorf("last snapshot = %+v", last)
	}
	if !strings.HasPrefix(r.stderr, "ackup: task "+started.TaskID+" ended failed: ") {
		t.Errorf("stderr %q", r.stderr)
	}
}

func TestNodePoolUpgradeWatch(t *testing.T) {
	t.Parallel()
	e := startServer(t, 1000)
	id := e.createCluster("--name", "pools", "--version", "1.33.1-aliyun.1", "--nodes", "2", "--pools", "2")
	r := e.run("upgrade", "start", id, "--to", "1.33.3-aliyun.1", "--master-only", "--watch", "--interval", "20ms")
	if r.code != 0 {
		t.Fatalf("master-only upgrade: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if strings.Contains(r.stdout, "upgrading pool") {
		t.Errorf("a master-only upgrade showed node pools:\n%s", r.stdout)
	}

	// By name; the version defaults to the control plane's.
	r = e.run("nodepool", "upgrade", id, "nodepool-2", "--watch", "--interval", "20ms")
	if r.code != 0 {
		t.Fatalf("nodepool upgrade: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	head, rest := splitHeader(t, r.stdout, 4)
	if !strings.Contains(head, "Node pool:  nodepool-2 (np") || !strings.Contains(head, "Upgrade:    to the control plane's version") {
		t.Errorf("nodepool upgrade printed:\n%s", head)
	}
	texts := checkWatchLines(t, rest, "upgrade succeeded: node pool nodepool-2 reached 1.33.3-aliyun.1")
	for _, s := range texts {
		if m := poolLine.FindStringSubmatch(s); m != nil && (m[1] != "nodepool-2" || m[3] != "2") {
			t.Errorf("line %q: want only nodepool-2 with 2 nodes", s)
		}
	}
	assertAPIError(t, e.run("nodepool", "upgrade", id, "default-nodepool", "--to", "1.34.1-aliyun.1"), "InvalidParameter")
	if r := e.run("nodepool", "upgrade", id, "no-such-pool"); r.code != exitFailed || !strings.Contains(r.stderr, "no node pool") {
		t.Errorf("unknown pool: exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestCheckCommands(t *testing.T) {
	t.Parallel()
	e := startServer(t, 2000)
	id := e.createCluster("--name", "checks", "--version", "1.33.1-aliyun.1", "--nodes", "2")

	var check struct {
		CheckID    string                      `json:"check_id"`
		Status     string                      `json:"status"`
		Type       string                      `json:"type"`
		CheckItems map[string][]map[string]any `json:"check_items"`
	}
	e.okJSON(&check, "check", "run", id, "--wait", "--interval", "20ms")
	if check.Status != "Succeeded" || check.Type != "ClusterUpgrade" || len(check.CheckItems) == 0 {
		t.Fatalf("check run --wait = %+v", check)
	}
	var again struct {
		CheckID string `json:"check_id"`
		Status  string `json:"status"`
	}
	e.okJSON(&again, "check", "show", id, check.CheckID)
	if again.CheckID != check.CheckID || again.Status != "Succeeded" {
		t.Errorf("check show = %+v", again)
	}
	assertFits(t, e.ok("check", "show", id, check.CheckID))

	var ran struct {
		CheckID   string `json:"check_id"`
		RequestID string `json:"request_id"`
	}
	e.okJSON(&ran, "check", "run", id, "--type", "NodePoolUpgrade", "--target", "default-nodepool", "--to", "1.33.1-aliyun.1")
	if ran.CheckID == "" || ran.RequestID == "" {
		t.Errorf("check run = %+v", ran)
	}
	var list struct {
		Checks []struct {
			CheckID string `json:"check_id"`
			Type    string `json:"type"`
		} `json:"checks"`
	}
	e.okJSON(&list, "check", "list", id, "--type", "NodePoolUpgrade")
	if len(list.Checks) != 1 || list.Checks[0].CheckID != ran.CheckID {
		t.Errorf("check list --type NodePoolUpgrade = %+v, want %s", list, ran.CheckID)
	}
	assertAPIError(t, e.run("check", "show", id, "1-nope-clustercheck-x"), "ErrorCheckNotFound")

	bad := e.createCluster("--name", "badcheck", "--version", "1.33.1-aliyun.1", "--nodes", "1", "--fault", "precheck-fail=NodeDiskPressure")
	r := e.run("check", "run", bad, "--wait", "--interval", "20ms")
	if r.code != exitOutcome || !strings.Contains(r.stdout, "Failed") {
		t.Errorf("failing check: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	assertFits(t, r.stdout)
}

func TestUpgradeRetryAfterFailure(t *testing.T) {
	t.Parallel()
	e := startServer(t, 1000)
	id := e.createCluster("--name", "retry", "--version", "1.33.1-aliyun.1", "--nodes", "2", "--fault", "control-plane-fail=true")
	var started struct {
		TaskID string `json:"task_id"`
	}
	e.okJSON(&started, "upgrade", "start", id)
	r := e.run("upgrade", "watch", id, "--interval", "20ms")
	if r.code != exitOutcome || !strings.Contains(r.stderr, "ended failed") || !strings.Contains(r.stderr, "Retry with: ackup upgrade resume "+id) {
		t.Fatalf("watch of a failed upgrade: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if out := e.ok("upgrade", "resume", id); !strings.HasPrefix(out, "Retrying task "+started.TaskID) {
		t.Errorf("upgrade resume of a failed upgrade printed %q", out)
	}
	if r := e.run("upgrade", "watch", id, "--interval", "20ms"); r.code != 0 {
		t.Fatalf("watch of the retried upgrade: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}
