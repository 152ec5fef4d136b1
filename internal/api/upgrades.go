package api

import (
	"context"
	"strconv"
	"time"

	"github.com/ackup/ackup/internal/service"
	"github.com/ackup/ackup/internal/upgrade"
)

// getUpgradeStatus is what old clients poll.
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
// deprecated and may only name "k8s". upgrade.ValidateClusterUpgrade holds
// the rules.
func decodeUpgradeCluster(body []byte) (service.UpgradeParams, error) {
	o, err := decodeObject(body)
	if err != nil {
		return service.UpgradeParams{}, err
	}
	p := service.UpgradeParams{NextVersion: o.str("next_version"), MasterOnly: o.boolean("master_only"),
		MaxParallelism: o.object("rolling_policy").optInt("max_parallelism")}
	version, component := o.str("version"), o.str("component_name")
	if err := o.Err(); err != nil {
		return p, err
	}
	if p.NextVersion == "" {
		p.NextVersion = version
	}
	if component != "" && component != "k8s" {
		return p, upgrade.Invalidf("component_name %q is not allowed; allowed values: k8s (the parameter is deprecated and may be left out)", component)
	}
	return p, upgrade.ValidateClusterUpgrade(p)
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

// decodeUpgradeNodePool reads UpgradeClusterNodepool's body;
// upgrade.ValidateNodePoolUpgrade holds the rules.
func decodeUpgradeNodePool(body []byte) (service.NodePoolUpgradeParams, error) {
	o, err := decodeObject(body)
	if err != nil {
		return service.NodePoolUpgradeParams{}, err
	}
	rp := o.object("rolling_policy")
	p := service.NodePoolUpgradeParams{
		KubernetesVersion: o.str("kubernetes_version"), NodeNames: o.strs("node_names"), ImageID: o.str("image_id"),
		RuntimeType: o.str("runtime_type"), RuntimeVersion: o.str("runtime_version"), UseReplace: o.boolean("use_replace"),
		IgnoreWarningCheck: o.boolean("ignore_warning_check"),
		PausePolicy:        upgrade.PausePolicy(rp.str("pause_policy")),
		MaxParallelism:     rp.optInt("max_parallelism"), BatchInterval: rp.optInt("batch_interval"),
	}
	if err := o.Err(); err != nil {
		return p, err
	}
	return p, upgrade.ValidateNodePoolUpgrade(p)
}

// upgradeStatusBody is GetUpgradeStatus's body: all five fields always
// present, empty strings rather than absent, and the whole upgrade_task as
// the real service sends it (docs/decisions.md, The whole upgrade_task).
type upgradeStatusBody struct {
	ErrorMessage     string          `json:"error_message"`
	PrecheckReportID string          `json:"precheck_report_id"`
	Status           string          `json:"status"`
	UpgradeStep      string          `json:"upgrade_step"`
	UpgradeTask      upgradeTaskBody `json:"upgrade_task"`
}

// upgradeTaskBody is upgrade_task. The times are RFC 3339, or null when
// there is none: clients decode them into a time type, which takes null
// but not "".
type upgradeTaskBody struct {
	CreatedAt     *string           `json:"created_at"`
	FinishedAt    *string           `json:"finished_at"`
	Message       string            `json:"message"`
	Retries       int               `json:"retries"`
	Status        string            `json:"status"`
	UpgradeStatus upgradeStatusPart `json:"upgrade_status"`
}

// upgradeStatusPart is upgrade_task.upgrade_status. failed is the string
// "true" or "false", as the clients that read it compare it.
type upgradeStatusPart struct {
	Events     []upgradeEventBody `json:"events"`
	Failed     string             `json:"failed"`
	IsCanceled bool               `json:"is_canceled"`
	Phase      string             `json:"phase"`
	State      string             `json:"state"`
	Succeeded  int                `json:"succeeded"`
	Total      int                `json:"total"`
}

// upgradeEventBody is an event of upgrade_status, with the capitalised keys
// the clients decode (Type is the event's level: Normal or Warning).
type upgradeEventBody struct {
	Message   string `json:"Message"`
	Reason    string `json:"Reason"`
	Source    string `json:"Source"`
	Timestamp string `json:"Timestamp"`
	Type      string `json:"Type"`
}

func upgradeStatusBodyOf(st upgrade.UpgradeStatus) *upgradeStatusBody {
	b := &upgradeStatusBody{
		ErrorMessage: st.ErrorMessage, PrecheckReportID: st.PrecheckReportID, Status: st.Status,
		UpgradeStep: st.UpgradeStep, UpgradeTask: upgradeTaskBody{
			CreatedAt: optionalTime(st.Created), FinishedAt: optionalTime(st.Finished),
			Message: st.TaskMessage, Retries: st.Retries, Status: st.TaskStatus,
			UpgradeStatus: upgradeStatusPart{Events: make([]upgradeEventBody, 0, len(st.Events)),
				Failed: strconv.FormatBool(st.Failed), IsCanceled: st.Canceled, Phase: st.Phase, State: st.State,
				Succeeded: st.Succeeded, Total: st.Total},
		},
	}
	for _, e := range st.Events {
		b.UpgradeTask.UpgradeStatus.Events = append(b.UpgradeTask.UpgradeStatus.Events, upgradeEventBody{
			Message: e.Message, Reason: e.Reason, Source: e.Source, Timestamp: wireTime(e.Time), Type: e.Level})
	}
	return b
}

// optionalTime is t in RFC 3339, nil (null) when t is zero.
func optionalTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := wireTime(t)
	return &s
}

// nodepoolUpgradeBody answers UpgradeClusterNodepool; note the capitalised
// RequestId of this one operation.
type nodepoolUpgradeBody struct {
	RequestID string `json:"RequestId"`
	TaskID    string `json:"task_id"`
}
