// Package upgrade is ackup's domain: clusters, node pools, nodes, tasks and
// checks, the Kubernetes version catalogue, and the pure functions that say
// which transitions are legal and how a task renders in ACK's two views
// (GetUpgradeStatus and DescribeTaskInfo). It imports only the standard
// library, so every other package can depend on it.
package upgrade
