package upgrade

import (
	"regexp"
	"slices"
	"strings"
)

// The rules of ackup's requests live here once: the API decodes a body and
// calls the validator of its request, and the service calls it again for
// callers that do not come through the API (the admin command). Every
// refusal is a KindInvalid or KindMissing *Error whose message names the
// field and says what is allowed.

// PausePolicy says when a node pool rollout pauses between batches
// (UpgradeClusterNodepool's rolling_policy.pause_policy).
type PausePolicy string

// Pause policies.
const (
	PauseFirstBatch PausePolicy = "FirstBatch" // pause after the first batch
	PauseEveryBatch PausePolicy = "EveryBatch" // pause after every batch
	PauseNotPause   PausePolicy = "NotPause"   // never pause (the default)
)

// PausePolicies lists the pause policies in ACK's documented order.
func PausePolicies() []string {
	return []string{string(PauseFirstBatch), string(PauseEveryBatch), string(PauseNotPause)}
}

// PausesAfter reports whether a rollout under policy p pauses after its
// batch-th batch (1-based).
func (p PausePolicy) PausesAfter(batch int) bool {
	return p == PauseEveryBatch || (p == PauseFirstBatch && batch == 1)
}

// Cluster editions (cluster_spec) and profiles accepted by CreateCluster.
const (
	SpecProSmall = "ack.pro.small"
	SpecStandard = "ack.standard"

	ProfileDefault    = "Default"
	ProfileEdge       = "Edge"
	ProfileServerless = "Serverless"
	ProfileLingjun    = "Lingjun"
)

// ClusterTypes lists the cluster types CreateCluster accepts.
func ClusterTypes() []string {
	return []string{TypeKubernetes, TypeManagedKubernetes, TypeExternalKubernetes}
}

// ClusterSpecs lists the managed cluster editions.
func ClusterSpecs() []string { return []string{SpecProSmall, SpecStandard} }

// Profiles lists the cluster profiles CreateCluster accepts.
func Profiles() []string {
	return []string{ProfileDefault, ProfileEdge, ProfileServerless, ProfileLingjun}
}

// VersionProfiles lists the profiles DescribeKubernetesVersionMetadata
// answers for (ACK documents no Lingjun catalogue).
func VersionProfiles() []string { return []string{ProfileDefault, ProfileEdge, ProfileServerless} }

// Bounds of the rolling policies.
const (
	// NodePoolParallelismMax bounds UpgradeClusterNodepool's
	// rolling_policy.max_parallelism, whose valid values ACK documents as
	// [1,10] with a default of 10 (the UpgradeClusterNodepoolRequest model
	// of the newer official SDKs, e.g. aliyun/alibabacloud-java-sdk
	// cs-20151215: "Valid values: [1,10]. Default value: 10.").
	NodePoolParallelismMax     = 10
	NodePoolParallelismDefault = 10
	// ClusterParallelismMax bounds UpgradeCluster's deprecated
	// rolling_policy.max_parallelism; ACK ignores it today, ackup honours
	// it for the node phase of a cluster upgrade, one node at a time when
	// absent.
	ClusterParallelismMax     = 100
	ClusterParallelismDefault = 1
	// BatchIntervalMin and BatchIntervalMax bound rolling_policy.batch_interval
	// in minutes; 0 means no wait between batches (the same SDK model:
	// "Valid values: [5,120] ... can be set to 0, which indicates no
	// interval between batches").
	BatchIntervalMin = 5
	BatchIntervalMax = 120
)

// ClusterNameRule says in words what clusterName checks, for messages and
// the route table's documentation.
const ClusterNameRule = "1 to 63 letters, digits or hyphens, not starting with a hyphen"

// clusterName is ACK's rule for a cluster's name.
var clusterName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]{0,62}$`)

// ValidateClusterName checks a cluster's name (CreateCluster and
// RegisterCluster).
func ValidateClusterName(name string) error {
	switch {
	case name == "":
		return Missingf("name is required")
	case !clusterName.MatchString(name):
		return Invalidf("name %q is not allowed: %s", name, ClusterNameRule)
	}
	return nil
}

// ClusterShape is what CreateCluster says about the kind of cluster; empty
// fields take their defaults (WithDefaults).
type ClusterShape struct {
	ClusterType string
	ClusterSpec string
	Profile     string
}

// WithDefaults fills ACK's defaults: a managed cluster, of the pro edition
// when managed, with the Default profile.
func (s ClusterShape) WithDefaults() ClusterShape {
	if s.ClusterType == "" {
		s.ClusterType = TypeManagedKubernetes
	}
	if s.ClusterSpec == "" && s.ClusterType == TypeManagedKubernetes {
		s.ClusterSpec = SpecProSmall
	}
	if s.Profile == "" {
		s.Profile = ProfileDefault
	}
	return s
}

// ValidateClusterShape checks cluster_type, cluster_spec and profile;
// empty fields are allowed (they take defaults).
func ValidateClusterShape(s ClusterShape) error {
	for _, f := range []struct {
		name, value string
		allowed     []string
	}{
		{"cluster_type", s.ClusterType, ClusterTypes()},
		{"cluster_spec", s.ClusterSpec, ClusterSpecs()},
		{"profile", s.Profile, Profiles()},
	} {
		if err := OneOf(f.name, f.value, f.allowed...); f.value != "" && err != nil {
			return err
		}
	}
	return nil
}

// OneOf refuses a value of field that is not one of allowed.
func OneOf(field, value string, allowed ...string) error {
	if slices.Contains(allowed, value) {
		return nil
	}
	return Invalidf("%s %q is not allowed; allowed values: %s", field, value, strings.Join(allowed, ", "))
}

// ClusterUpgradeRequest is UpgradeCluster's request as decoded from the
// wire. MaxParallelism is nil when the deprecated
// rolling_policy.max_parallelism is absent.
type ClusterUpgradeRequest struct {
	NextVersion    string
	MasterOnly     bool
	MaxParallelism *int
}

// ValidateClusterUpgrade checks an UpgradeCluster request; the version
// against the cluster is checked by CheckUpgradeTarget.
func ValidateClusterUpgrade(r ClusterUpgradeRequest) error {
	if r.NextVersion == "" {
		return Missingf("next_version is required: the Kubernetes version to upgrade to")
	}
	return between("rolling_policy.max_parallelism", r.MaxParallelism, 1, ClusterParallelismMax)
}

// Parallelism is the number of nodes upgraded at once.
func (r ClusterUpgradeRequest) Parallelism() int {
	if r.MaxParallelism == nil {
		return ClusterParallelismDefault
	}
	return *r.MaxParallelism
}

// NodePoolUpgradeRequest is UpgradeClusterNodepool's request as decoded
// from the wire. Pointers are nil when the field is absent.
type NodePoolUpgradeRequest struct {
	KubernetesVersion string
	NodeNames         []string
	MaxParallelism    *int
	BatchInterval     *int // minutes, only with NotPause; 0 = no wait
	PausePolicy       PausePolicy
	// IgnoreWarningCheck lets the upgrade go on when precheck items of
	// level warning fail (items of level error still stop it).
	IgnoreWarningCheck bool
	ImageID            string
	RuntimeType        string
	RuntimeVersion     string
	UseReplace         bool
}

// ValidateNodePoolUpgrade checks an UpgradeClusterNodepool request; the
// version and node names against the cluster are checked when the cluster
// is read (CheckNodeTarget).
func ValidateNodePoolUpgrade(r NodePoolUpgradeRequest) error {
	if r.PausePolicy != "" {
		if err := OneOf("rolling_policy.pause_policy", string(r.PausePolicy), PausePolicies()...); err != nil {
			return err
		}
	}
	if err := between("rolling_policy.max_parallelism", r.MaxParallelism, 1, NodePoolParallelismMax); err != nil {
		return err
	}
	if n := r.Interval(); n != 0 {
		if n < BatchIntervalMin || n > BatchIntervalMax {
			return Invalidf("rolling_policy.batch_interval must be 0 (no wait) or between %d and %d minutes, got %d", BatchIntervalMin, BatchIntervalMax, n)
		}
		if p := r.Policy(); p != PauseNotPause {
			return Invalidf("rolling_policy.batch_interval is only allowed with rolling_policy.pause_policy NotPause, got pause_policy %s", p)
		}
	}
	for i, n := range r.NodeNames {
		if n == "" {
			return Invalidf("node_names[%d] is empty", i)
		}
	}
	return nil
}

// Policy is the pause policy, NotPause when absent.
func (r NodePoolUpgradeRequest) Policy() PausePolicy {
	if r.PausePolicy == "" {
		return PauseNotPause
	}
	return r.PausePolicy
}

// Parallelism is the number of nodes per batch, ACK's default when absent.
func (r NodePoolUpgradeRequest) Parallelism() int {
	if r.MaxParallelism == nil {
		return NodePoolParallelismDefault
	}
	return *r.MaxParallelism
}

// Interval is the wait between batches in minutes (0 when none).
func (r NodePoolUpgradeRequest) Interval() int {
	if r.BatchInterval == nil {
		return 0
	}
	return *r.BatchInterval
}

// between refuses a present value of field outside [lo, hi].
func between(field string, v *int, lo, hi int) error {
	if v != nil && (*v < lo || *v > hi) {
		return Invalidf("%s must be between %d and %d, got %d", field, lo, hi, *v)
	}
	return nil
}
