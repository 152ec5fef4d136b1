package upgrade

// The list parameters below are what a caller may ask of a list: the API
// decodes them from a request, the service passes them on and every store
// driver answers them. They live in the domain so that neither the API nor
// the service has to import the store to name them.

// ClusterListParams filters and pages DescribeClustersV1.
type ClusterListParams struct {
	AccountID   string
	ClusterID   string
	Name        string // substring match
	ClusterType string
	ClusterSpec string
	Profile     string
	RegionID    string
	Offset      int
	Limit       int
}

// NodeListParams filters and pages DescribeClusterNodes.
type NodeListParams struct {
	ClusterID   string
	NodePoolID  string
	InstanceIDs []string
	Offset      int
	Limit       int // 0 means all
}

// TaskListParams pages DescribeClusterTasks (newest first).
type TaskListParams struct {
	ClusterID string
	Offset    int
	Limit     int
}
