package e2e

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	cs "github.com/alibabacloud-go/cs-20151215/v7/client"
	"github.com/alibabacloud-go/tea/dara"

	"github.com/ackup/ackup/internal/upgrade"
)

// Bounds of TestReplicaFailover's chaos.
const (
	failoverUpgrades = 50
	failoverMaxKills = 10
	failoverChaos    = 4 * time.Minute
	// failoverSpeed makes an upgrade of 2 to 4 nodes last 33 to 49 s, a
	// few times the lease, so most kills land on upgrades in flight.
	failoverSpeed = "30"
)

// failoverUpgrade is one upgrade of TestReplicaFailover and what it must
// end as.
type failoverUpgrade struct {
	cluster, task string
	nodes         int
	final         string // success or failed
	errCode       string // the task's error code when failed
}

// TestReplicaFailover runs three replicas on one database, starts 50
// simulated upgrades through all of them, and kills a random replica with
// SIGKILL every few seconds, restarting it at once. Every upgrade must end
// as it should, each node must be upgraded exactly once, and the database
// must show that no step was written under a stale fencing token.
func TestReplicaFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("failover test skipped in -short mode")
	}
	db := postgresSchema(t)
	rs := startReplicas(t, db, 3, "--lease", "2s", "--sim-speed", failoverSpeed)
	st := openPostgres(t, db)
	ups := startFailoverUpgrades(t, rs)

	seed := uint64(time.Now().UnixNano())
	t.Logf("chaos seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed))
	deadline := time.Now().Add(failoverChaos)
	kills := 0
	for kills < failoverMaxKills && time.Now().Before(deadline) {
		active := 0
		for _, u := range ups {
			task, err := st.TaskGet(t.Context(), "", u.task)
			if err != nil {
				t.Fatal(err)
			}
			if task.State.Active() {
				active++
			}
		}
		if active == 0 {
			break
		}
		// The random moment of the next crash, not a wait for a condition.
		time.Sleep(time.Duration(1500+rng.IntN(2000)) * time.Millisecond)
		p := rs[rng.IntN(len(rs))]
		p.kill()
		kills++
		p.start()
	}
	if kills < 3 {
		t.Fatalf("only %d kills happened before every upgrade ended; the simulation is too fast for this test", kills)
	}

	takenOver := 0
	for i, u := range ups {
		c := rs[i%len(rs)].client()
		var state, code string
		eventually(t, 3*time.Minute, "upgrade "+u.task+" finished", func() error {
			info, err := c.DescribeTaskInfo(dara.String(u.task))
			if err != nil {
				return err
			}
			if state = dara.StringValue(info.Body.State); state == "running" || state == "paused" {
				return fmt.Errorf("state %s", state)
			}
			if info.Body.Error != nil {
				code = dara.StringValue(info.Body.Error.Code)
			}
			return nil
		})
		if state != u.final || code != u.errCode {
			t.Errorf("upgrade %s of %s ended %s (error code %q), want %s (%q)", u.task, u.cluster, state, code, u.final, u.errCode)
		}
		counts := nodeUpgradeCounts(t, c, u.task)
		want := u.nodes
		if u.final != "success" {
			want = 0
		}
		if len(counts) != want {
			t.Errorf("upgrade %s upgraded %d distinct nodes, want %d: %v", u.task, len(counts), want, counts)
		}
		for n, k := range counts {
			if k != 1 {
				t.Errorf("node %s upgraded %d times in %s", n, k, u.task)
			}
		}
		evs, err := st.EventList(t.Context(), u.task)
		if err != nil {
			t.Fatal(err)
		}
		if owners := checkFences(t, u.task, evs); len(owners) > 1 {
			takenOver++
		}
	}
	// A run in which no upgrade changed hands would prove nothing about
	// fencing.
	if takenOver == 0 {
		t.Errorf("no upgrade was taken over by another replica in %d kills", kills)
	}
	t.Logf("%d upgrades on 3 replicas survived %d SIGKILLs; %d changed replica", len(ups), kills, takenOver)
}

// startFailoverUpgrades creates the clusters through every replica in turn,
// waits until they run, and starts their upgrades, again spread over the
// replicas. Every tenth cluster fails its control-plane upgrade and every
// tenth (another one) its precheck, on purpose.
func startFailoverUpgrades(t *testing.T, rs []*proc) []failoverUpgrade {
	t.Helper()
	clients := make([]*cs.Client, len(rs))
	for i, p := range rs {
		clients[i] = p.client()
	}
	ups := make([]failoverUpgrade, failoverUpgrades)
	for i := range ups {
		u := &ups[i]
		u.nodes, u.final = 2+i%3, "success"
		req := &cs.CreateClusterRequest{Name: dara.String(fmt.Sprintf("failover-%02d", i)), RegionId: dara.String("cn-hangzhou"),
			KubernetesVersion: dara.String("1.32.7-aliyun.1"), NumOfNodes: dara.Int64(int64(u.nodes))}
		switch i % 10 {
		case 3:
			req.Tags = []*cs.Tag{{Key: dara.String(upgrade.FaultControlPlaneFail), Value: dara.String("true")}}
			u.final, u.errCode = "failed", "ControlPlaneUpgradeFailed"
		case 7:
			req.Tags = []*cs.Tag{{Key: dara.String(upgrade.FaultPrecheckFail), Value: dara.String("NodeDiskPressure")}}
			u.final, u.errCode = "failed", "PrecheckFailed"
		}
		resp, err := clients[i%len(clients)].CreateCluster(req)
		if err != nil {
			t.Fatalf("CreateCluster %d: %v", i, err)
		}
		u.cluster = dara.StringValue(resp.Body.ClusterId)
	}
	for i := range ups {
		u := &ups[i]
		c := clients[(i+1)%len(clients)]
		eventually(t, time.Minute, "cluster "+u.cluster+" running", func() error {
			return wantClusterState(c, u.cluster, "running")
		})
		r, err := c.UpgradeCluster(dara.String(u.cluster), &cs.UpgradeClusterRequest{NextVersion: dara.String("1.33.3-aliyun.1")})
		if err != nil {
			t.Fatalf("UpgradeCluster %s: %v", u.cluster, err)
		}
		u.task = dara.StringValue(r.Body.TaskId)
	}
	return ups
}
