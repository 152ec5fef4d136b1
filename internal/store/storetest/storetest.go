// Package storetest is the conformance suite every store.Store driver
// passes. A driver's test calls Run with a function that opens a fresh,
// empty, migrated store; the suite pins down, through the interface alone,
// every behaviour store.go documents, so the SQLite and PostgreSQL drivers
// cannot drift apart.
package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/ackup/ackup/internal/store"
	"github.com/ackup/ackup/internal/upgrade"
)

// Run runs the suite. Each subtest calls open for a store of its own; open
// must return an empty, migrated store and close it with t.Cleanup.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	groups := []struct {
		name string
		run  func(*testing.T, func(*testing.T) store.Store)
	}{
		{"AccessKeys", testAccessKeys},
		{"Clusters", testClusters},
		{"ClusterList", testClusterList},
		{"NodePools", testNodePools},
		{"Nodes", testNodes},
		{"Tasks", testTasks},
		{"TaskQueries", testTaskQueries},
		{"TaskStatusLatest", testTaskStatusLatest},
		{"TaskCountByState", testTaskCountByState},
		{"Events", testEvents},
		{"Checks", testChecks},
		{"DuplicateInsert", testDuplicateInsert},
		{"InTx", testInTx},
		{"TaskClaim", testTaskClaim},
		{"TaskFence", testTaskFence},
		{"TaskNextDue", testTaskNextDue},
		{"ConcurrentClaim", testConcurrentClaim},
		{"Nonces", testNonces},
		{"Meta", testMeta},
		{"Sealed", testSealed},
		{"Notifier", testNotifier},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) { g.run(t, open) })
	}
}

// base is the suite's reference time: millisecond precision (every driver
// keeps at least that) in a zone other than UTC, so that a driver that
// forgets to return UTC is caught.
var base = time.Date(2025, 3, 14, 15, 9, 26, 535_000_000, time.FixedZone("UTC+8", 8*60*60))

// at is base plus d.
func at(d time.Duration) time.Time { return base.Add(d) }

// ok fails the test now if err is not nil.
func ok(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// isErr fails the test unless err wraps target.
func isErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: got error %v, want %v", what, err, target)
	}
}

// newCluster returns a cluster with every field set.
func newCluster(account, name string) upgrade.Cluster {
	return upgrade.Cluster{
		ID:              upgrade.NewClusterID(),
		AccountID:       account,
		Name:            name,
		RegionID:        "cn-hangzhou",
		ClusterType:     upgrade.TypeManagedKubernetes,
		ClusterSpec:     "ack.pro.small",
		Profile:         "Default",
		CurrentVersion:  "1.31.1-aliyun.1",
		InitVersion:     "1.30.7-aliyun.1",
		TargetVersion:   "1.32.1-aliyun.1",
		State:           upgrade.ClusterRunning,
		VpcID:           "vpc-" + name,
		VSwitchIDs:      []string{"vsw-a", "vsw-b"},
		ContainerCIDR:   "172.20.0.0/16",
		ServiceCIDR:     "172.21.0.0/20",
		Tags:            []upgrade.Tag{{Key: "env", Value: "prod"}, {Key: "ackup.sim/fail", Value: "drain"}},
		Executor:        upgrade.ExecutorSim,
		ExecutorConfig:  []byte{0x00, 0xff, 'k', 0x10},
		DeletionProtect: true,
		Created:         at(0),
		Updated:         at(time.Minute),
	}
}

// newPool returns a node pool of cluster with every field set.
func newPool(clusterID, name string, created time.Time) upgrade.NodePool {
	return upgrade.NodePool{
		ID:            upgrade.NewNodePoolID(),
		ClusterID:     clusterID,
		Name:          name,
		IsDefault:     name == "default",
		DesiredSize:   3,
		InstanceTypes: []string{"ecs.g7.large", "ecs.g6.large"},
		VSwitchIDs:    []string{"vsw-a"},
		State:         upgrade.NodePoolActive,
		Created:       created,
		Updated:       created.Add(time.Second),
	}
}

// newNode returns a node of pool with every field set.
func newNode(pool upgrade.NodePool, name string) upgrade.Node {
	return upgrade.Node{
		ClusterID:     pool.ClusterID,
		NodePoolID:    pool.ID,
		InstanceID:    upgrade.NewInstanceID(),
		Name:          name,
		IP:            "192.168.0.7",
		InstanceType:  "ecs.g7.large",
		Version:       "1.31.1-aliyun.1",
		Status:        upgrade.NodeReady,
		Unschedulable: true,
		Upgrading:     true,
		State:         "running",
		Created:       at(0),
		Updated:       at(time.Second),
	}
}

// newTask returns a task of cluster with every field but the lease set.
func newTask(c upgrade.Cluster, typ upgrade.TaskType, state upgrade.TaskState, created time.Time) upgrade.Task {
	return upgrade.Task{
		ID:         upgrade.NewTaskID(),
		ClusterID:  c.ID,
		AccountID:  c.AccountID,
		Type:       typ,
		State:      state,
		Step:       upgrade.StepUpgrading,
		Stage:      "UpgradeNodes",
		TargetID:   c.ID,
		TargetType: "cluster",
		Params:     json.RawMessage(`{"next_version": "1.32.1-aliyun.1", "rolling": {"batch": 2}}`),
		Plan:       json.RawMessage(`{"pools": ["np1", "np2"], "done": 1}`),
		Stages: []upgrade.Stage{
			{Name: "Precheck", State: "success", Start: created, End: created.Add(time.Minute),
				Message: "passed", Outputs: map[string]string{"report": "r-1"}},
			{Name: "UpgradeNodes", State: "running", Start: created.Add(time.Minute)},
		},
		ErrorCode:    "E1",
		ErrorMessage: "node i-1 not ready",
		Message:      "upgrading pool np1",
		PrecheckID:   "check-1",
		Desired:      upgrade.DesireCancel,
		Created:      created,
		Updated:      created.Add(time.Second),
		NextRunAt:    created.Add(2 * time.Second),
	}
}

// newCheck returns a check of cluster with every field set.
func newCheck(clusterID, typ, target string, created time.Time) upgrade.Check {
	return upgrade.Check{
		ID:        upgrade.NewCheckID(clusterID, created),
		ClusterID: clusterID,
		Type:      typ,
		Target:    target,
		Options:   map[string]string{"next_version": "1.32.1-aliyun.1"},
		Status:    upgrade.CheckSucceeded,
		Message:   "all passed",
		Items: []upgrade.CheckItem{{Name: "DeprecatedAPIs", Category: "Compatibility", Level: "warning",
			Status: "Warning", Message: "2 objects", Description: "v1beta1 APIs", Objects: []string{"a", "b"}}},
		Created:  created,
		Finished: created.Add(time.Minute),
	}
}

// insertCluster inserts a new cluster of account and returns it.
func insertCluster(t *testing.T, s store.Querier, account, name string) upgrade.Cluster {
	t.Helper()
	c := newCluster(account, name)
	ok(t, s.ClusterInsert(t.Context(), c))
	return c
}

// insertTask inserts a task of cluster with the given state and times.
func insertTask(t *testing.T, s store.Querier, c upgrade.Cluster, state upgrade.TaskState, created, next time.Time) upgrade.Task {
	t.Helper()
	task := newTask(c, upgrade.TaskClusterUpgrade, state, created)
	task.NextRunAt = next
	ok(t, s.TaskInsert(t.Context(), task))
	return task
}

// ids returns the ids of xs, in order, as id picks them.
func ids[T any](xs []T, id func(T) string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = id(x)
	}
	return out
}

func clusterID(c upgrade.Cluster) string { return c.ID }
func taskID(t upgrade.Task) string       { return t.ID }
func checkID(c upgrade.Check) string     { return c.ID }
func nodeID(n upgrade.Node) string       { return n.InstanceID }

// checkIDs reports unless got lists exactly want, in order.
func checkIDs(t *testing.T, what string, want, got []string) {
	t.Helper()
	if fmt.Sprint(want) != fmt.Sprint(got) {
		t.Errorf("%s: got %v, want %v", what, got, want)
	}
}
