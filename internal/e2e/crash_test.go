package e2e

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cs "github.com/alibabacloud-go/cs-20151215/v7/client"
	"github.com/alibabacloud-go/tea/dara"
)

// nodeUpgradeCounts reads a task's events and counts NodeUpgraded per node.
func nodeUpgradeCounts(t *testing.T, c *cs.Client, taskID string) map[string]int {
	t.Helper()
	info, err := c.DescribeTaskInfo(dara.String(taskID))
	if err != nil {
		t.Fatalf("DescribeTaskInfo %s: %v", taskID, err)
	}
	out := map[string]int{}
	for _, ev := range info.Body.Events {
		if dara.StringValue(ev.Reason) == "NodeUpgraded" {
			// "node <name> upgraded from ..."
			f := strings.Fields(dara.StringValue(ev.Message))
			if len(f) > 1 {
				out[f[1]]++
			}
		}
	}
	return out
}

// TestCrashRecovery runs `ackup server` as a process, starts several
// upgrades, kills the server with SIGKILL at random moments, restarts it on
// the same database, and checks every upgrade ends correctly with each node
// upgraded exactly once.
func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test skipped in -short mode")
	}
	db := filepath.Join(t.TempDir(), "ackup.db")
	p := startProc(t, db, "--sim-speed", "300", "--lease", "1s")
	c := p.client()
	type want struct {
		cluster, task string
		nodes         int
		final         string
	}
	var ups []want
	for i := 0; i < 6; i++ {
		nodes := 2 + i%3
		req := &cs.CreateClusterRequest{Name: dara.String(fmt.Sprintf("crash-%d", i)), RegionId: dara.String("cn-hangzhou"),
			KubernetesVersion: dara.String("1.32.7-aliyun.1"), NumOfNodes: dara.Int64(int64(nodes))}
		final := "success"
		if i == 5 {
			req.Tags = []*cs.Tag{{Key: dara.String("ackup.sim/control-plane-fail"), Value: dara.String("true")}}
			final = "failed"
		}
		resp, err := c.CreateCluster(req)
		if err != nil {
			t.Fatal(err)
		}
		ups = append(ups, want{cluster: dara.StringValue(resp.Body.ClusterId), nodes: nodes, final: final})
	}
	started := 0
	rng := rand.New(rand.NewPCG(1, 2))
	deadline := time.Now().Add(3 * time.Minute)
	kills := 0
	for time.Now().Before(deadline) {
		// Start every upgrade whose cluster is running and not yet upgraded.
		for i := range ups {
			if ups[i].task != "" {
				continue
			}
			d, err := c.DescribeClusterDetail(dara.String(ups[i].cluster))
			if err != nil || dara.StringValue(d.Body.State) != "running" {
				continue
			}
			r, err := c.UpgradeCluster(dara.String(ups[i].cluster), &cs.UpgradeClusterRequest{NextVersion: dara.String("1.33.3-aliyun.1")})
			if err != nil {
				t.Fatalf("UpgradeCluster %s: %v", ups[i].cluster, err)
			}
			ups[i].task = dara.StringValue(r.Body.TaskId)
			started++
		}
		done := started == len(ups)
		for _, u := range ups {
			if u.task == "" {
				done = false
				break
			}
			info, err := c.DescribeTaskInfo(dara.String(u.task))
			if err != nil {
				t.Fatal(err)
			}
			if s := dara.StringValue(info.Body.State); s == "running" || s == "paused" {
				done = false
			}
		}
		if done && kills >= 4 {
			break
		}
		if kills < 8 {
			// Let it run a random moment, then kill it hard and restart.
			pause := time.Duration(50+rng.IntN(700)) * time.Millisecond
			time.Sleep(pause) // the random moment of the crash, not a wait for a condition
			p.kill()
			kills++
			p.start()
			c = p.client()
		} else {
			time.Sleep(100 * time.Millisecond)
		}
	}
	if kills < 4 {
		t.Fatalf("only %d kills happened", kills)
	}
	for _, u := range ups {
		if u.task == "" {
			t.Fatalf("upgrade of %s never started", u.cluster)
		}
		var state string
		eventually(t, time.Minute, "upgrade "+u.task+" finished", func() error {
			info, err := c.DescribeTaskInfo(dara.String(u.task))
			if err != nil {
				return err
			}
			if state = dara.StringValue(info.Body.State); state == "running" || state == "paused" {
				return fmt.Errorf("state %s", state)
			}
			return nil
		})
		if state != u.final {
			t.Fatalf("upgrade %s ended %s, want %s", u.task, state, u.final)
		}
		counts := nodeUpgradeCounts(t, c, u.task)
		wantNodes := u.nodes
		if u.final != "success" {
			wantNodes = 0
		}
		if len(counts) != wantNodes {
			t.Fatalf("upgrade %s upgraded %d distinct nodes, want %d: %v", u.task, len(counts), wantNodes, counts)
		}
		for n, k := range counts {
			if k != 1 {
				t.Fatalf("node %s upgraded %d times in %s", n, k, u.task)
			}
		}
		st, err := c.GetUpgradeStatus(dara.String(u.cluster))
		if err != nil {
			t.Fatal(err)
		}
		wantStatus := map[string]string{"success": "success", "failed": "fail"}[u.final]
		if dara.StringValue(st.Body.Status) != wantStatus {
			t.Fatalf("GetUpgradeStatus of %s = %s, want %s", u.cluster, dara.StringValue(st.Body.Status), wantStatus)
		}
	}
	t.Logf("%d upgrades survived %d SIGKILLs", len(ups), kills)
}

// TestCrashDuringRetry fails an upgrade with a node that never becomes
// Ready, retries it, and kills the server with SIGKILL at random moments of
// the retry: the upgrade still ends in success, with the retry counted once
// and each node upgraded exactly once.
func TestCrashDuringRetry(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test skipped in -short mode")
	}
	db := filepath.Join(t.TempDir(), "ackup.db")
	p := startProc(t, db, "--sim-speed", "100", "--lease", "1s")
	c := p.client()
	resp, err := c.CreateCluster(&cs.CreateClusterRequest{Name: dara.String("crash-retry"), RegionId: dara.String("cn-hangzhou"),
		KubernetesVersion: dara.String("1.32.7-aliyun.1"), NumOfNodes: dara.Int64(4),
		Tags: []*cs.Tag{{Key: dara.String("ackup.sim/node-never-ready"), Value: dara.String("1")}}})
	if err != nil {
		t.Fatal(err)
	}
	cluster := dara.StringValue(resp.Body.ClusterId)
	eventually(t, time.Minute, "cluster running", func() error {
		d, err := c.DescribeClusterDetail(dara.String(cluster))
		if err != nil || dara.StringValue(d.Body.State) != "running" {
			return fmt.Errorf("not running: %v", err)
		}
		return nil
	})
	up, err := c.UpgradeCluster(dara.String(cluster), &cs.UpgradeClusterRequest{NextVersion: dara.String("1.33.3-aliyun.1")})
	if err != nil {
		t.Fatal(err)
	}
	task := dara.StringValue(up.Body.TaskId)
	state := func() string {
		info, err := c.DescribeTaskInfo(dara.String(task))
		if err != nil {
			t.Fatal(err)
		}
		return dara.StringValue(info.Body.State)
	}
	eventually(t, 2*time.Minute, "upgrade failed", func() error {
		if s := state(); s != "failed" {
			return fmt.Errorf("state %s", s)
		}
		return nil
	})
	if _, err := c.ResumeTask(dara.String(task)); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	kills := 0
	for kills < 4 && state() == "running" {
		time.Sleep(time.Duration(200+rng.IntN(1200)) * time.Millisecond) // the random moment of the crash, not a wait for a condition
		p.kill()
		kills++
		p.start()
		c = p.client()
	}
	if kills == 0 {
		t.Fatal("the retry finished before any kill")
	}
	eventually(t, 2*time.Minute, "retried upgrade finished", func() error {
		if s := state(); s == "running" || s == "paused" {
			return fmt.Errorf("state %s", s)
		}
		return nil
	})
	if s := state(); s != "success" {
		t.Fatalf("retried upgrade ended %s", s)
	}
	counts := nodeUpgradeCounts(t, c, task)
	if len(counts) != 4 {
		t.Fatalf("%d distinct nodes upgraded, want 4: %v", len(counts), counts)
	}
	for n, k := range counts {
		if k != 1 {
			t.Fatalf("node %s upgraded %d times", n, k)
		}
	}
	if n := eventCount(t, c, task, "TaskRetried"); n != 1 {
		t.Fatalf("%d TaskRetried events", n)
	}
	if n := eventCount(t, c, task, "TaskRetryStart"); n != 1 {
		t.Fatalf("the engine re-entered the failed step %d times", n)
	}
	st, err := c.GetUpgradeStatus(dara.String(cluster))
	if err != nil || dara.StringValue(st.Body.Status) != "success" {
		t.Fatalf("GetUpgradeStatus %v %v", st, err)
	}
	t.Logf("the retry survived %d SIGKILLs", kills)
}
