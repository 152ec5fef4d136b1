package engine

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// versionsNow says which versions the upgrade's nodes and the control
// plane really run, for the messages of a canceled or failed upgrade:
// "the nodes run 1.33.3-aliyun.1 (2) and 1.32.7-aliyun.1 (3); the control
// plane runs 1.33.3-aliyun.1". Only the nodes the plan covers are counted
// (a node pool upgrade leaves the other pools out).
func (p *pass) versionsNow(pl *plan) string {
	count := map[string]int{}
	for _, n := range p.nodes {
		if _, covered := pl.Nodes[n.Name]; covered || len(pl.Nodes) == 0 {
			count[n.Version]++
		}
	}
	type versionCount struct {
		v string
		n int
	}
	var vs []versionCount
	for v, n := range count {
		vs = append(vs, versionCount{v, n})
	}
	slices.SortFunc(vs, func(a, b versionCount) int { return cmp.Or(b.n-a.n, strings.Compare(a.v, b.v)) })
	parts := make([]string, len(vs))
	for i, x := range vs {
		parts[i] = fmt.Sprintf("%s (%d)", x.v, x.n)
	}
	cp := "the control plane runs " + p.cluster.CurrentVersion
	switch len(parts) {
	case 0:
		return cp
	case 1:
		return "the nodes run " + parts[0] + "; " + cp
	}
	return "the nodes run " + strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1] + "; " + cp
}

// failUpgrade fails an upgrade that may have changed the cluster, saying
// which versions it left behind.
func (p *pass) failUpgrade(pl *plan, code, msg string) error {
	return p.fail(code, msg+"; "+p.versionsNow(pl))
}
