package sim

import (
	"fmt"
	"strings"

	"github.com/ackup/ackup/internal/executor"
	"github.com/ackup/ackup/internal/upgrade"
)

// simItems are the check items the simulator reports, by category, with
// their level: an item of level warning that fails stops an upgrade unless
// the request asked to ignore warnings (ignore_warning_check).
var simItems = []struct{ Category, Name, Level, Description string }{
	{"ControlPlane", "APIServerHealth", upgrade.CheckLevelError, "the kube-apiserver answers its health check"},
	{"ControlPlane", "VersionSkew", upgrade.CheckLevelError, "kubelets are at most three minors behind and never ahead of the target"},
	{"Node", "NodeReady", upgrade.CheckLevelError, "every node is Ready"},
	{"Node", "NodeDiskPressure", upgrade.CheckLevelError, "no node reports disk pressure"},
	{"Workload", "PodDisruptionBudget", upgrade.CheckLevelWarning, "no PodDisruptionBudget allows zero disruptions"},
	{"Workload", "DeprecatedAPIs", upgrade.CheckLevelError, "no workload uses an API removed in the target version"},
}

// checkItems returns the simulated verdicts: the item named failing fails,
// and NodeReady fails for the nodes upgrade.FaultNodeNotReady selects.
func checkItems(s executor.Step, nodes []upgrade.Node, failing string) []upgrade.CheckItem {
	var notReady []string
	if sel, ok := fault(s, upgrade.FaultNodeNotReady); ok {
		for _, n := range nodes {
			if selects(sel, n) {
				notReady = append(notReady, "node/"+n.Name)
			}
		}
	}
	items := make([]upgrade.CheckItem, 0, len(simItems)+1)
	known := false
	for _, it := range simItems {
		item := upgrade.CheckItem{Name: it.Name, Category: it.Category, Level: it.Level, Status: upgrade.ItemPassed, Description: it.Description,
			Message: "passed"}
		switch {
		case it.Name == failing:
			known = true
			item.Status = upgrade.ItemFailed
			item.Message = fmt.Sprintf("%s failed for the upgrade to %s (injected fault %s=%s)", it.Name, s.Target, upgrade.FaultPrecheckFail, failing)
			for _, n := range nodes {
				if it.Category == "Node" {
					item.Objects = append(item.Objects, "node/"+n.Name)
					break
				}
			}
		case it.Name == "NodeReady" && len(notReady) > 0:
			item.Status = "Failed"
			item.Message = fmt.Sprintf("%s NotReady (injected fault %s)", strings.Join(notReady, ", "), upgrade.FaultNodeNotReady)
			item.Objects = notReady
		}
		items = append(items, item)
	}
	if failing != "" && !known {
		items = append(items, upgrade.CheckItem{Name: failing, Category: "Custom", Level: upgrade.CheckLevelError, Status: upgrade.ItemFailed,
			Message: fmt.Sprintf("%s failed (injected fault %s)", failing, upgrade.FaultPrecheckFail)})
	}
	return items
}
