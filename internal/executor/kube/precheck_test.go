package kube

import (
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/ackup/ackup/internal/executor"
	"github.com/ackup/ackup/internal/executor/kube/kubetest"
	"github.com/ackup/ackup/internal/upgrade"
)

func TestPrecheckNodeNotReady(t *testing.T) {
	e := newKubeEnv(t, 3, nil)
	if err := e.agent.SetReady(t.Context(), e.node(1), false); err != nil {
		t.Fatal(err)
	}
	items := e.precheck(t, newClock(), e.nodes)
	it := itemNamed(t, items, CheckNodeReady)
	if it.Status != statusFailed || it.Level != levelError || !slices.Equal(it.Objects, []string{"node/" + e.node(1)}) {
		t.Fatalf("NodeReady = %+v; want Failed at level error naming only node/%s", it, e.node(1))
	}
	if h := itemNamed(t, items, CheckAPIServerHealth); h.Status != statusPassed {
		t.Fatalf("APIServerHealth = %+v; want Passed", h)
	}
}

func TestPrecheckVersionSkew(t *testing.T) {
	e := newKubeEnv(t, 3, nil)
	ctx := t.Context()
	// Four minors behind the target, and newer than the API server (v1.33.3).
	if err := e.agent.SetVersion(ctx, e.node(0), "v1.30.1"); err != nil {
		t.Fatal(err)
	}
	if err := e.agent.SetVersion(ctx, e.node(2), "v1.35.0"); err != nil {
		t.Fatal(err)
	}
	it := itemNamed(t, e.precheck(t, newClock(), e.nodes), CheckVersionSkew)
	want := []string{"node/" + e.node(0), "node/" + e.node(2)}
	if it.Status != statusFailed || it.Level != levelError || !slices.Equal(it.Objects, want) {
		t.Fatalf("VersionSkew = %+v; want Failed naming %v", it, want)
	}
	if miss := lacks(it.Message, "4 minors behind", "newer than the API server"); len(miss) > 0 {
		t.Fatalf("VersionSkew message %q lacks %v", it.Message, miss)
	}
	// Three minors behind is within the policy.
	if err := e.agent.SetVersion(ctx, e.node(0), "v1.31.9"); err != nil {
		t.Fatal(err)
	}
	if err := e.agent.SetVersion(ctx, e.node(2), fromKubelet); err != nil {
		t.Fatal(err)
	}
	if it := itemNamed(t, e.precheck(t, newClock(), e.nodes), CheckVersionSkew); it.Status != statusPassed {
		t.Fatalf("VersionSkew = %+v; want Passed", it)
	}
}

// TestPrecheckDrainability checks that the drainability item names exactly
// the nodes, pods and budgets that block, and that draining each node then
// blocks exactly where it said.
func TestPrecheckDrainability(t *testing.T) {
	e := newKubeEnv(t, 5, func(c *Config) { c.DrainTimeout = 10 * time.Second })
	ctx, c, ns := t.Context(), e.srv.Client, e.ns
	// n0: pods of a budget that allows them all: drains.
	// n1: the only pod of a budget allowing none: blocks.
	// n2: a bare pod: blocks.
	// n3: a pod with an emptyDir volume: blocks.
	// n4: two pods of a budget allowing one: the second blocks.
	if _, err := kubetest.ReplicatedPods(ctx, c, ns, "web", e.node(0), e.node(0)); err != nil {
		t.Fatal(err)
	}
	if err := kubetest.PDB(ctx, c, ns, "web", "web", 2); err != nil {
		t.Fatal(err)
	}
	if _, err := kubetest.ReplicatedPods(ctx, c, ns, "db", e.node(1)); err != nil {
		t.Fatal(err)
	}
	if err := kubetest.PDB(ctx, c, ns, "db", "db", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := kubetest.BarePod(ctx, c, ns, "debug", e.node(2)); err != nil {
		t.Fatal(err)
	}
	if _, err := kubetest.LocalStoragePod(ctx, c, ns, "cache", e.node(3)); err != nil {
		t.Fatal(err)
	}
	if _, err := kubetest.ReplicatedPods(ctx, c, ns, "queue", e.node(4), e.node(4)); err != nil {
		t.Fatal(err)
	}
	if err := kubetest.PDB(ctx, c, ns, "queue", "queue", 1); err != nil {
		t.Fatal(err)
	}

	it := itemNamed(t, e.precheck(t, newClock(), e.nodes), CheckDrainability)
	want := []string{
		"node/" + e.node(1), "pod/" + ns + "/db-0", "poddisruptionbudget/" + ns + "/db",
		"node/" + e.node(2), "pod/" + ns + "/debug",
		"node/" + e.node(3), "pod/" + ns + "/cache-0",
		"node/" + e.node(4), "pod/" + ns + "/queue-1", "poddisruptionbudget/" + ns + "/queue",
	}
	if it.Status != statusWarning || it.Level != levelWarning || !slices.Equal(it.Objects, want) {
		t.Fatalf("Drainability = %+v;\nwant Warning with objects %v", it, want)
	}
	predicted := nodesIn(it.Objects)

	// Now drain every node: exactly the predicted ones block.
	var blocked []string
	for _, n := range e.nodes {
		clock := newClock()
		if err := e.ex.NodeCordon(ctx, clock.step(e, clock.now), n); err != nil {
			t.Fatal(err)
		}
		var blocker string
		_, err := drive(t, clock, "drain "+n.Name, func(s executor.Step) (executor.Result, error) {
			return e.ex.NodeDrain(ctx, e.withCluster(s), n)
		}, func(r executor.Result) {
			if r.Blocker != "" && blocker == "" {
				blocker = r.Blocker
			}
		})
		if err == nil && blocker == "" {
			continue
		}
		if blocker == "" {
			t.Fatalf("drain %s: %v", n.Name, err)
		}
		blocked = append(blocked, n.Name)
		if miss := lacks(blocker, "node "+n.Name); len(miss) > 0 {
			t.Errorf("blocker %q does not name its node", blocker)
		}
	}
	if !slices.Equal(blocked, predicted) {
		t.Fatalf("drains blocked on %v; the precheck predicted %v", blocked, predicted)
	}
}

// nodesIn returns the node names among check objects, sorted.
func nodesIn(objects []string) []string {
	var out []string
	for _, o := range objects {
		if name, ok := cutPrefix(o, "node/"); ok {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

func cutPrefix(s, p string) (string, bool) {
	if len(s) >= len(p) && s[:len(p)] == p {
		return s[len(p):], true
	}
	return "", false
}

func TestPrecheckAPIServerUnreachable(t *testing.T) {
	t.Parallel()
	kc, err := kubeconfigFor("https://127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	ex, err := New(Config{Kubeconfig: kc}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ex.Close()
	items, r, err := ex.Precheck(t.Context(), executor.Step{Target: target}, []upgrade.Node{{Name: "x"}})
	if err != nil || !r.Done {
		t.Fatalf("Precheck = %+v, %v; want Done with failed items", r, err)
	}
	for _, it := range items {
		if it.Status != statusFailed {
			t.Errorf("item %s = %s; want Failed when the API server is unreachable", it.Name, it.Status)
		}
	}
	if len(items) != 4 {
		t.Errorf("got %d items; want 4", len(items))
	}
}
