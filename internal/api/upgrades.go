package api

import (
	"context"
	"slices"
	"strings"

	"github.com/ackup/ackup/internal/service"
	"github.com/ackup/ackup/internal/upgrade"
)

// getUpgradeStatus is the hot path old clients poll; see
// upgradeStatusBody.appendJSON.
func (s *server) getUpgradeStatus(ctx context.Context, c *call) (any, error) {
	st, err := s.backend.UpgradeStatus(ctx, c.account, c.path("ClusterId"))
	if err != nil {
		return nil, err
	}
	return upgradeStatusBodyOf(st), nil
}

func (s *server) upgradeCluster(ctx context.Context, c *call) (any, error) {
	p, err := decodeUpgradeCluster(c.body)
	if err != nil {
		return nil, err
	}
	clusterID := c.path("ClusterId")
	taskID, err := s.backend.UpgradeCluster(ctx, c.account, clusterID, p)
	if err != nil {
		return nil, err
	}
	return &createdBody{ClusterID: clusterID, RequestID: c.requestID, TaskID: taskID}, nil
}

// decodeUpgradeCluster reads UpgradeCluster's body. The deprecated version
// stands in for next_version when that is absent; component_name is
// deprecated and may only name "k8s".
func decodeUpgradeCluster(body []byte) (service.UpgradeParams, error) {
	o, err := decodeObject(body)
	if err != nil {
		return service.UpgradeParams{}, err
	}
	p := service.UpgradeParams{NextVersion: o.str("next_version"), MasterOnly: o.boolean("master_only")}
	version, component := o.str("version"), o.str("component_name")
	if n, ok := o.object("rolling_policy").integer("max_parallelism", 0, 100); ok {
		p.MaxParallelism = int(n)
	}
	if err := o.Err(); err != nil {
		return p, err
	}
	if p.NextVersion == "" {
		p.NextVersion = version
	}
	switch {
	case p.NextVersion == "":
		return p, upgrade.Missingf("next_version is required: the Kubernetes version to upgrade to")
	case component != "" && component != "k8s":
		return p, upgrade.Invalidf("component_name %q is not allowed; allowed values: k8s (the parameter is deprecated and may be left out)", component)
	}
	return p, nil
}

func (s *server) pauseClusterUpgrade(ctx context.Context, c *call) (any, error) {
	return nil, s.backend.PauseClusterUpgrade(ctx, c.account, c.path("ClusterId"))
}

func (s *server) resumeUpgradeCluster(ctx context.Context, c *call) (any, error) {
	return nil, s.backend.ResumeClusterUpgrade(ctx, c.account, c.path("ClusterId"))
}

func (s *server) cancelClusterUpgrade(ctx context.Context, c *call) (any, error) {
	return nil, s.backend.CancelClusterUpgrade(ctx, c.account, c.path("ClusterId"))
}

func (s *server) upgradeClusterNodepool(ctx context.Context, c *call) (any, error) {
	p, err := decodeUpgradeNodePool(c.body)
	if err != nil {
		return nil, err
	}
	taskID, err := s.backend.UpgradeNodePool(ctx, c.account, c.path("ClusterId"), c.path("NodepoolId"), p)
	if err != nil {
		return nil, err
	}
	return &nodepoolUpgradeBody{RequestID: c.requestID, TaskID: taskID}, nil
}

// decodeUpgradeNodePool reads UpgradeClusterNodepool's body.
// rolling_policy.batch_interval (5 to 120 minutes) is only allowed with
// pause_policy NotPause, which is also the default.
func decodeUpgradeNodePool(body []byte) (service.NodePoolUpgradeParams, error) {
	o, err := decodeObject(body)
	if err != nil {
		return service.NodePoolUpgradeParams{}, err
	}
	p := service.NodePoolUpgradeParams{
		KubernetesVersion: o.str("kubernetes_version"), NodeNames: o.strs("node_names"), ImageID: o.str("image_id"),
		RuntimeType: o.str("runtime_type"), RuntimeVersion: o.str("runtime_version"), UseReplace: o.boolean("use_replace"),
	}
	rp := o.object("rolling_policy")
	p.PausePolicy = rp.str("pause_policy")
	if n, ok := rp.integer("max_parallelism", 0, 100); ok {
		p.MaxParallelism = int(n)
	}
	if n, ok := rp.integer("batch_interval", 5, 120); ok {
		p.BatchInterval = int(n)
	}
	if err := o.Err(); err != nil {
		return p, err
	}
	if p.PausePolicy != "" && !slices.Contains(pausePolicies, p.PausePolicy) {
		return p, upgrade.Invalidf("rolling_policy.pause_policy %q is not allowed; allowed values: %s", p.PausePolicy, strings.Join(pausePolicies, ", "))
	}
	if p.BatchInterval != 0 && p.PausePolicy != "" && p.PausePolicy != service.PauseNotPause {
		return p, upgrade.Invalidf("rolling_policy.batch_interval is only allowed with rolling_policy.pause_policy NotPause, got pause_policy %s", p.PausePolicy)
	}
	for i, n := range p.NodeNames {
		if n == "" {
			return p, upgrade.Invalidf("node_names[%d] is empty", i)
		}
	}
	return p, nil
}

// upgradeStatusBody is GetUpgradeStatus's body: all five fields always
// present, empty strings rather than absent (decisions.md). It renders
// itself (appendJSON) because it is what old clients poll; the json tags
// say the same thing for encoding/json, and a test holds the two equal.
type upgradeStatusBody struct {
	ErrorMessage     string          `json:"error_message"`
	PrecheckReportID string          `json:"precheck_report_id"`
	Status           string          `json:"status"`
	UpgradeStep      string          `json:"upgrade_step"`
	UpgradeTask      upgradeTaskBody `json:"upgrade_task"`
}

type upgradeTaskBody struct {
	Message string `json:"message"`
	Status  string `json:"status"`
}

func upgradeStatusBodyOf(st upgrade.UpgradeStatus) *upgradeStatusBody {
	return &upgradeStatusBody{
		ErrorMessage: st.ErrorMessage, PrecheckReportID: st.PrecheckReportID, Status: st.Status,
		UpgradeStep: st.UpgradeStep, UpgradeTask: upgradeTaskBody{Message: st.TaskMessage, Status: st.TaskStatus},
	}
}

func (u *upgradeStatusBody) appendJSON(b []byte) []byte {
	b = append(b, `{"error_message":`...)
	b = appendJSONString(b, u.ErrorMessage)
	b = append(b, `,"precheck_report_id":`...)
	b = appendJSONString(b, u.PrecheckReportID)
	b = append(b, `,"status":`...)
	b = appendJSONString(b, u.Status)
	b = append(b, `,"upgrade_step":`...)
	b = appendJSONString(b, u.UpgradeStep)
	b = append(b, `,"upgrade_task":{"message":`...)
	b = appendJSONString(b, u.UpgradeTask.Message)
	b = append(b, `,"status":`...)
	b = appendJSONString(b, u.UpgradeTask.Status)
	return append(b, `}}`...)
}

// appendXML renders the body as jsonToXML would render its JSON, without
// the JSON: the XML view is what clients sending no Accept header poll.
func (u *upgradeStatusBody) appendXML(b []byte, root string) []byte {
	b = append(b, xmlHeader...)
	b = appendOpen(b, root)
	b = appendXMLElement(b, "error_message", u.ErrorMessage)
	b = appendXMLElement(b, "precheck_report_id", u.PrecheckReportID)
	b = appendXMLElement(b, "status", u.Status)
	b = appendXMLElement(b, "upgrade_step", u.UpgradeStep)
	b = append(b, "<upgrade_task>"...)
	b = appendXMLElement(b, "message", u.UpgradeTask.Message)
	b = appendXMLElement(b, "status", u.UpgradeTask.Status)
	b = append(b, "</upgrade_task>"...)
	return appendClose(b, root)
}

// nodepoolUpgradeBody answers UpgradeClusterNodepool; note the capitalised
// RequestId of this one operation.
type nodepoolUpgradeBody struct {
	RequestID string `json:"RequestId"`
	TaskID    string `json:"task_id"`
}
