package upgrade

// Fault tags: cluster tags that make the simulator (executor/sim) misbehave
// on purpose, so anyone with only an SDK can rehearse a failure. They are
// named here, in the domain, because the simulator, the console's create
// form and the CLI's --fault flag must spell them the same way, and none of
// those should import another. A node selector is a node name, an instance
// id, the 1-based position of the node in creation order, a comma-separated
// list of those, or "*" for every node.
//
// A fault that fails or stalls a step fires on an upgrade's first attempt
// only, so that a retry of the failed upgrade (ResumeTask) can succeed, as
// it would once a person fixed the cause. A value ending in ";always" (for
// example "NodeDiskPressure;always", "2;always", or "always" for
// FaultControlPlaneFail) makes it fire on every attempt. FaultDrainBlocked
// blocks every attempt.
const (
	// FaultPrecheckFail names a precheck item that fails, e.g. "NodeDiskPressure".
	FaultPrecheckFail = "ackup.sim/precheck-fail"
	// FaultControlPlaneFail ("true", or "always") makes the control-plane step fail.
	FaultControlPlaneFail = "ackup.sim/control-plane-fail"
	// FaultNodeNeverReady selects a node that never becomes Ready after its upgrade.
	FaultNodeNeverReady = "ackup.sim/node-never-ready"
	// FaultNodeNotReady selects a node that is NotReady from the start: the
	// precheck's NodeReady item fails and names it, and after an upgrade
	// it does not become Ready either.
	FaultNodeNotReady = "ackup.sim/node-not-ready"
	// FaultDrainBlocked selects a node whose drain a PodDisruptionBudget blocks.
	FaultDrainBlocked = "ackup.sim/drain-blocked"
	// FaultDrainBlockedSeconds is how many simulated seconds the drain stays
	// blocked (default 600).
	FaultDrainBlockedSeconds = "ackup.sim/drain-blocked-seconds"
	// FaultDrainTimeout makes a drain that FaultDrainBlocked still blocks
	// after the simulator's drain timeout (5 simulated minutes) time out;
	// the value is the policy the engine then applies: "pause", "skip" or
	// "fail" (anything else is taken as "pause", the Kubernetes
	// executor's default).
	FaultDrainTimeout = "ackup.sim/drain-timeout"
)

// FaultTag describes one fault tag for documentation and for clients that
// offer the tags as choices.
type FaultTag struct{ Key, Example, Description string }

// FaultTags lists the fault tags, each with an example value and a one-line
// description.
var FaultTags = []FaultTag{
	{FaultPrecheckFail, "NodeDiskPressure", "this precheck item fails, so the upgrade stops before anything changes (first attempt only; append ;always to fail every retry too)"},
	{FaultControlPlaneFail, "true", "the control-plane upgrade fails (first attempt only; \"always\" fails every retry too)"},
	{FaultNodeNeverReady, "2", "this node never becomes Ready after its upgrade (the step fails after 10 simulated minutes; first attempt only; append ;always to fail every retry too)"},
	{FaultNodeNotReady, "3", "this node is NotReady: the precheck's NodeReady item fails and names it (first attempt only; append ;always to fail every retry too)"},
	{FaultDrainBlocked, "1", "a PodDisruptionBudget blocks this node's drain"},
	{FaultDrainBlockedSeconds, "600", "how long, in simulated seconds, the drain stays blocked"},
	{FaultDrainTimeout, "skip", "a drain still blocked after 5 simulated minutes times out, and the engine applies this policy: pause, skip or fail (first attempt only; append ;always to time out every retry too)"},
}
