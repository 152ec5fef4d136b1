package kubecfg

// Live is what a registered cluster looks like right now, as read from its
// API server by kube.Snapshot.
type Live struct {
	// ServerVersion is the control plane's version in ACK's form
	// ("1.33.3-aliyun.1" when the catalogue knows the release, else "1.33.3").
	ServerVersion string
	// KubeVersion is the version as the cluster reports it ("v1.33.3").
	KubeVersion string
	Nodes       []LiveNode
}

// LiveNode is one node of a live cluster.
type LiveNode struct {
	Name string
	// Pool is the value of the pool label, or DefaultPoolName.
	Pool         string
	InstanceID   string // from spec.providerID, else the node name
	IP           string // the first InternalIP
	InstanceType string // label node.kubernetes.io/instance-type
	// Version is the kubelet's version in ACK's form; KubeletVersion as reported.
	Version        string
	KubeletVersion string
	Ready          bool
	Unschedulable  bool
}

// Pools returns the pool names of l's nodes in order of first appearance;
// DefaultPoolName when there are no nodes.
func (l Live) Pools() []string {
	var out []string
	seen := map[string]bool{}
	for _, n := range l.Nodes {
		if !seen[n.Pool] {
			seen[n.Pool] = true
			out = append(out, n.Pool)
		}
	}
	if len(out) == 0 {
		out = []string{DefaultPoolName}
	}
	return out
}
