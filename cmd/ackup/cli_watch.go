package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	cs "github.com/alibabacloud-go/cs-20151215/v7/client"
	openapiutil "github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	"github.com/alibabacloud-go/tea/dara"
	"golang.org/x/term"
	"sigs.k8s.io/yaml"

	"github.com/ackup/ackup/internal/upgrade"
)

// watchOptions are the flags of every command that can follow an upgrade.
type watchOptions struct {
	interval time.Duration
	plain    bool
}

func (o *watchOptions) register(fs *flag.FlagSet) {
	fs.DurationVar(&o.interval, "interval", time.Second, "how often to poll while watching")
	fs.BoolVar(&o.plain, "plain", false, "print one line per change even on a terminal")
}

// renderer shows snapshots as they come and the outcome at the end.
type renderer interface {
	update(s snapshot)
	// finish shows the final snapshot (interrupted when the watch stopped
	// before the task ended) and releases the screen.
	finish(s snapshot, interrupted bool)
}

// watch follows an upgrade task until it ends and returns an outcomeError
// unless it succeeded. It polls DescribeTaskInfo, DescribeClusterNodes and,
// for cluster upgrades, GetUpgradeStatus.
func (c *cli) watch(ctx context.Context, s *session, clusterID, taskID string, o watchOptions) error {
	pools, err := s.pools(clusterID)
	if err != nil {
		return err
	}
	var r renderer
	switch width, tty := terminalWidth(c.stdout); {
	case s.out.structured():
		r = &structuredRenderer{out: s.out}
	case tty && !o.plain:
		r = newTermRenderer(c.stdout, width)
	default:
		r = &plainRenderer{w: c.stdout}
	}
	useStatus := true
	var last snapshot
	failures := 0
	err = poll(ctx, o.interval, func() (bool, error) {
		task, err := s.describeTask(ctx, taskID)
		var nodes []nodeRef
		if err == nil && task.Progress == nil {
			// A server without ackup_progress: the pools' sizes come from
			// the nodes.
			nodes, err = s.nodes(clusterID)
		}
		if err != nil {
			// A long watch outlives a network blip or a throttled call.
			if failures++; transient(err) && failures < maxWatchFailures {
				return false, nil
			}
			return false, err
		}
		failures = 0
		var status *cs.GetUpgradeStatusResponseBody
		if useStatus && str(task.TaskType) == taskClusterUpgrade {
			// GetUpgradeStatus is deprecated on ACK; when it is gone the
			// watch goes on with the task's own events.
			//lint:ignore SA1019 its upgrade_task.message names what blocks the upgrade
			st, err := s.cs.GetUpgradeStatus(dara.String(clusterID))
			if err != nil {
				useStatus = false
			} else {
				status = st.Body
			}
		}
		last = computeSnapshot(task, status, pools, nodes)
		if last.done() {
			return true, nil
		}
		r.update(last)
		return false, nil
	})
	r.finish(last, err != nil)
	if err != nil {
		return err
	}
	if last.State == string(upgrade.TaskFailed) {
		return &outcomeError{fmt.Sprintf("task %s ended %s: %s\nRetry with: %s", taskID, last.State, last.Error, retryCommand(last.TaskType, clusterID, taskID))}
	}
	if last.State != string(upgrade.TaskSuccess) {
		return &outcomeError{fmt.Sprintf("task %s ended %s: %s", taskID, last.State, last.Error)}
	}
	return nil
}

// describeTaskParams describes DescribeTaskInfo to the SDK's generic
// CallApi exactly as the SDK's own DescribeTaskInfo does.
func describeTaskParams(taskID string) *openapiutil.Params {
	return &openapiutil.Params{
		Action: dara.String("DescribeTaskInfo"), Version: dara.String("2015-12-15"), Protocol: dara.String("HTTPS"),
		Pathname: dara.String("/tasks/" + dara.PercentEncode(taskID)), Method: dara.String("GET"), AuthType: dara.String("AK"),
		Style: dara.String("ROA"), ReqBodyType: dara.String("json"), BodyType: dara.String("json"),
	}
}

// describeTask reads DescribeTaskInfo through the SDK's generic CallApi,
// signed like the typed call, so that the body keeps ackup_progress, which
// the SDK's model would drop.
func (s *session) describeTask(ctx context.Context, taskID string) (*taskInfo, error) {
	resp, err := s.cs.CallApiWithCtx(ctx, describeTaskParams(taskID), &openapiutil.OpenApiRequest{}, &dara.RuntimeOptions{})
	if err != nil {
		return nil, err
	}
	var t taskInfo
	if err := dara.Convert(resp["body"], &t); err != nil {
		return nil, fmt.Errorf("read DescribeTaskInfo's answer: %w", err)
	}
	return &t, nil
}

// maxWatchFailures is how many polls in a row may fail transiently before
// the watch gives up.
const maxWatchFailures = 5

// transient reports whether a failed call is worth repeating: the endpoint
// could not be reached, or it answered throttling or a server error.
func transient(err error) bool {
	e, ok := asAPIError(err)
	if !ok {
		return true
	}
	return strings.HasPrefix(e.Code, "Throttling") || e.Code == "ServiceUnavailable" || e.Code == "InternalError"
}

// pools lists the cluster's node pools.
func (s *session) pools(clusterID string) ([]poolRef, error) {
	resp, err := s.cs.DescribeClusterNodePools(dara.String(clusterID), &cs.DescribeClusterNodePoolsRequest{})
	if err != nil {
		return nil, err
	}
	var out []poolRef
	for _, p := range resp.Body.Nodepools {
		if p.NodepoolInfo != nil {
			out = append(out, poolRef{id: str(p.NodepoolInfo.NodepoolId), name: str(p.NodepoolInfo.Name)})
		}
	}
	return out, nil
}

// nodes lists every node of the cluster, page by page.
func (s *session) nodes(clusterID string) ([]nodeRef, error) {
	const pageSize = 100
	var out []nodeRef
	for page := 1; ; page++ {
		resp, err := s.cs.DescribeClusterNodes(dara.String(clusterID), &cs.DescribeClusterNodesRequest{
			PageNumber: dara.String(strconv.Itoa(page)), PageSize: dara.String(strconv.Itoa(pageSize))})
		if err != nil {
			return nil, err
		}
		for _, n := range resp.Body.Nodes {
			out = append(out, nodeRef{name: str(n.NodeName), poolID: str(n.NodepoolId)})
		}
		total := 0
		if resp.Body.Page != nil {
			total = int(dara.Int32Value(resp.Body.Page.TotalCount))
		}
		if len(resp.Body.Nodes) < pageSize || len(out) >= total {
			return out, nil
		}
	}
}

// terminalWidth reports whether w is a terminal and, if so, its width.
func terminalWidth(w io.Writer) (int, bool) {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return 0, false
	}
	width, _, err := term.GetSize(int(f.Fd()))
	if err != nil || width <= 0 {
		width = maxWidth
	}
	return width, true
}

// retryCommand is the command that retries a failed upgrade task: the
// cluster's for a cluster upgrade, the task's otherwise.
func retryCommand(taskType, clusterID, taskID string) string {
	if taskType == taskClusterUpgrade {
		return "ackup upgrade resume " + clusterID
	}
	return "ackup task resume " + taskID
}

// line is the one-line summary of a snapshot. With now zero it leaves out
// everything that changes with the clock, so that it changes only when the
// upgrade does.
func (s *snapshot) line(now time.Time) string {
	target := s.Target
	if target == "" {
		target = "the target version"
	}
	switch upgrade.TaskState(s.State) {
	case upgrade.TaskSuccess:
		return fmt.Sprintf("upgrade succeeded: %s reached %s", s.subject(), target)
	case upgrade.TaskFailed, "fail": // ACK's docs spell failure both ways
		return "upgrade failed: " + cmpOrDash(s.Error)
	case upgrade.TaskCanceled:
		return "upgrade canceled: " + cmpOrDash(s.Error)
	}
	var b strings.Builder
	if s.State == string(upgrade.TaskPaused) {
		b.WriteString("paused: ")
	}
	switch s.Phase {
	case "precheck":
		fmt.Fprintf(&b, "prechecking the upgrade to %s", target)
	case "control-plane":
		fmt.Fprintf(&b, "upgrading the control plane to %s", target)
	case "nodes":
		p := s.current()
		if p == nil {
			b.WriteString("upgrading nodes")
			break
		}
		fmt.Fprintf(&b, "upgrading pool %s %d/%d nodes", p.Name, p.Upgraded, p.Total)
		if eta, ok := p.eta(now); ok && p.Upgraded > 0 {
			fmt.Fprintf(&b, ", ETA %s", formatDuration(eta))
		}
	default:
		fmt.Fprintf(&b, "%s (%s)", s.Stage, s.State)
	}
	if len(s.InFlight) > 0 {
		b.WriteString(", in flight " + s.inFlightText())
	}
	if s.Blocker != "" {
		b.WriteString(", blocked: " + s.Blocker)
	}
	return b.String()
}

// subject names what is upgraded: the cluster or the node pool.
func (s *snapshot) subject() string {
	if s.TaskType == taskNodePoolUpgrade && len(s.Pools) == 1 {
		return "node pool " + s.Pools[0].Name
	}
	return "cluster " + s.ClusterID
}

func (s *snapshot) inFlightText() string {
	parts := make([]string, len(s.InFlight))
	for i, n := range s.InFlight {
		parts[i] = fmt.Sprintf("%s (%s)", n.Name, n.Step)
	}
	return strings.Join(parts, ", ")
}

func cmpOrDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// formatDuration renders a duration as 1h02m03s, 2m03s or 45s.
func formatDuration(d time.Duration) string {
	d = d.Round(time.Second)
	h, m, sec := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	switch {
	case h > 0:
		return fmt.Sprintf("%dh%02dm%02ds", h, m, sec)
	case m > 0:
		return fmt.Sprintf("%dm%02ds", m, sec)
	}
	return fmt.Sprintf("%ds", sec)
}

// plainRenderer prints one time-stamped line per change: for logs, pipes
// and CI.
type plainRenderer struct {
	w    io.Writer
	last string
}

func (r *plainRenderer) update(s snapshot) {
	if l := s.line(time.Time{}); l != r.last {
		fmt.Fprintf(r.w, "%s %s\n", time.Now().Format(time.TimeOnly), l)
		r.last = l
	}
}

func (r *plainRenderer) finish(s snapshot, interrupted bool) {
	if !interrupted {
		r.update(s)
	}
}

// structuredRenderer prints each changed snapshot as one JSON line, or as
// a YAML document.
type structuredRenderer struct {
	out  printer
	last string
}

func (r *structuredRenderer) update(s snapshot) {
	l := s.line(time.Time{})
	if l == r.last {
		return
	}
	r.last = l
	if r.out.format == "yaml" {
		b, _ := yaml.Marshal(s)
		fmt.Fprintf(r.out.w, "---\n%s", b)
		return
	}
	b, _ := json.Marshal(s)
	fmt.Fprintf(r.out.w, "%s\n", b)
}

func (r *structuredRenderer) finish(s snapshot, interrupted bool) {
	if !interrupted {
		r.update(s)
	}
}
