package upgrade

// Levels of a check item: how much a failure of the item matters.
const (
	// CheckLevelError: a failure stops the upgrade.
	CheckLevelError = "error"
	// CheckLevelWarning: a failure stops a node pool upgrade unless the
	// request asked to ignore warnings (UpgradeClusterNodepool's
	// ignore_warning_check); UpgradeCluster has no such parameter, and its
	// precheck reports warnings without stopping (UpgradeSpec.IgnoresWarnings).
	CheckLevelWarning = "warning"
	// CheckLevelInfo: never stops anything.
	CheckLevelInfo = "info"
)

// Statuses of a check item.
const (
	ItemPassed = "Passed"
	ItemFailed = "Failed"
	// ItemWarning is an advisory finding (for example nodes whose drain
	// would block now); it never stops the upgrade, the engine deals with
	// it when it comes to it.
	ItemWarning = "Warning"
)

// Blocks reports whether a check item stops an upgrade: it failed, at level
// error, or at level warning unless ignoreWarnings.
func (it CheckItem) Blocks(ignoreWarnings bool) bool {
	if it.Status != ItemFailed {
		return false
	}
	switch it.Level {
	case CheckLevelError:
		return true
	case CheckLevelWarning:
		return !ignoreWarnings
	}
	return false
}

// Blocking returns the items that stop an upgrade (see CheckItem.Blocks).
func Blocking(items []CheckItem, ignoreWarnings bool) []CheckItem {
	var out []CheckItem
	for _, it := range items {
		if it.Blocks(ignoreWarnings) {
			out = append(out, it)
		}
	}
	return out
}

// IgnoresWarnings reports whether failed warning-level precheck items let
// the upgrade go on: when a node pool upgrade asked so with
// ignore_warning_check, and always for UpgradeCluster, whose API has no way
// to ask (a warning that could never be overridden would make the cluster
// unupgradable).
func (s UpgradeSpec) IgnoresWarnings() bool { return s.IgnoreWarningCheck || !s.SkipControlPlane }
