package api

import (
	"context"
	"net/http"
	"time"

	"github.com/ackup/ackup/internal/kubecfg"
	"github.com/ackup/ackup/internal/service"
	"github.com/ackup/ackup/internal/upgrade"
)

// registerClusterOp is the route table's entry of RegisterCluster, an
// ackup extension: ACK has no operation that registers a cluster by its
// kubeconfig, so it lives under /api/ackup/ and the official SDK reaches
// it through its generic CallApi.
func registerClusterOp() Operation {
	return Operation{Name: "RegisterCluster", Method: http.MethodPost, Path: "/api/ackup/v1/clusters", BodyType: "json", RequestIDKey: "request_id",
		Doc: "ackup extension, not an ACK operation: registers an existing Kubernetes cluster (cluster_type ExternalKubernetes) " +
			"by its kubeconfig, which ackup uses to read and upgrade it. The kubeconfig is sealed with the server key and never " +
			"logged or returned. Answers the cluster id and the id of its finished cluster_create task.",
		Params: []Param{
			required(bodyP("name", "string", upgrade.ClusterNameRule+".")),
			bodyP("region_id", "string", "The region id (default cn-hangzhou)."),
			bodyP("tags", "array", "Tags: objects {key, value}."),
			required(bodyP("kubeconfig", "string", "The cluster's kubeconfig (YAML or JSON) as a string; its current context is used.")),
			bodyP("kubernetes", "object", "How ackup upgrades the cluster; every field is optional."),
			withDefault(bodyP("kubernetes.pool_label", "string", "Node label whose value names a node's pool; nodes without it are in default-nodepool."), kubecfg.DefaultPoolLabel),
			withDefault(enum(bodyP("kubernetes.control_plane_action.type", "string", "How the control plane is upgraded: run a named action, or wait."), kubecfg.ActionCommand, kubecfg.ActionWait), kubecfg.ActionWait),
			bodyP("kubernetes.control_plane_action.name", "string", "With type command: the name of an action the server's operator declared (ackup server --actions-file)."),
			withDefault(bodyP("kubernetes.control_plane_action.timeout", "string", "Duration such as 30m bounding the step (default: the named action's timeout, 30m for wait)."), "30m"),
			withDefault(enum(bodyP("kubernetes.node_action.type", "string", "How one drained node is upgraded: run a named action, or wait."), kubecfg.ActionCommand, kubecfg.ActionWait), kubecfg.ActionWait),
			bodyP("kubernetes.node_action.name", "string", "With type command: the name of an action the server's operator declared (ackup server --actions-file)."),
			withDefault(bodyP("kubernetes.node_action.timeout", "string", "Duration such as 30m bounding the step (default: the named action's timeout, 30m for wait)."), "30m"),
			withDefault(enum(bodyP("kubernetes.control_plane_version_from", "string", "Where the control plane's version is read."),
				kubecfg.VersionFromDiscovery, kubecfg.VersionFromConfigMap), kubecfg.VersionFromDiscovery),
			withDefault(bodyP("kubernetes.drain_timeout", "string", "Duration such as 10m a drain may stay blocked before the policy applies."), "10m"),
			withDefault(enum(bodyP("kubernetes.drain_timeout_policy", "string", "What a drain blocked too long does."),
				kubecfg.DrainPause, kubecfg.DrainSkip, kubecfg.DrainFail), kubecfg.DrainPause),
			bodyP("kubernetes.delete_emptydir_data", "boolean", "Let drains evict pods with emptyDir volumes (their data is lost)."),
			bodyP("kubernetes.force_bare_pods", "boolean", "Let drains delete pods no controller manages (they are not recreated)."),
			withDefault(bodyP("kubernetes.node_ready_timeout", "string", "Duration such as 10m an upgraded node may take to be Ready."), "10m"),
		}}
}

func (s *server) registerCluster(ctx context.Context, c *call) (any, error) {
	p, err := decodeRegisterCluster(c.body)
	if err != nil {
		return nil, err
	}
	res, err := s.backend.RegisterExternal(ctx, c.account, p)
	if err != nil {
		return nil, err
	}
	return &createdBody{ClusterID: res.ClusterID, RequestID: c.requestID, TaskID: res.TaskID}, nil
}

// decodeRegisterCluster reads RegisterCluster's body. No message quotes
// the kubeconfig: it is read as a string, and a value of another type is
// only named by its type.
func decodeRegisterCluster(body []byte) (service.ExternalParams, error) {
	o, err := decodeObject(body)
	if err != nil {
		return service.ExternalParams{}, err
	}
	k := o.object("kubernetes")
	p := service.ExternalParams{Name: o.str("name"), RegionID: o.str("region_id"), Kube: kubecfg.Config{
		Kubeconfig:              []byte(o.str("kubeconfig")),
		PoolLabel:               k.str("pool_label"),
		ControlPlaneAction:      decodeAction(k.object("control_plane_action")),
		NodeAction:              decodeAction(k.object("node_action")),
		ControlPlaneVersionFrom: k.str("control_plane_version_from"),
		DrainTimeout:            decodeDuration(k, "drain_timeout"),
		DrainTimeoutPolicy:      k.str("drain_timeout_policy"),
		DeleteEmptyDirData:      k.boolean("delete_emptydir_data"),
		ForceBarePods:           k.boolean("force_bare_pods"),
		NodeReadyTimeout:        decodeDuration(k, "node_ready_timeout"),
	}}
	for _, t := range o.objects("tags") {
		p.Tags = append(p.Tags, upgrade.Tag{Key: t.str("key"), Value: t.str("value")})
		if o.Err() == nil && p.Tags[len(p.Tags)-1].Key == "" {
			return p, upgrade.Missingf("%skey is required", t.prefix)
		}
	}
	if err := o.Err(); err != nil {
		return p, err
	}
	switch {
	case p.Name == "":
		return p, upgrade.Missingf("name is required")
	case len(p.Kube.Kubeconfig) == 0:
		return p, upgrade.Missingf("kubeconfig is required: the kubeconfig of the cluster to register, as a string")
	}
	return p, nil
}

// decodeAction reads an upgrade action object. A program to run is
// refused: the API caller may only name one of the actions the server's
// operator declared.
func decodeAction(o jsonObject) kubecfg.Action {
	if _, ok := o.get("command"); ok {
		o.fail(upgrade.Invalidf("%s is not accepted: ackup runs only the actions its operator declares; "+
			"ask the operator to declare a named action (ackup server --actions-file) and pass its name as %s",
			o.name("command"), o.name("name")))
	}
	return kubecfg.Action{Type: o.str("type"), Name: o.str("name"), Timeout: decodeDuration(o, "timeout")}
}

// decodeDuration reads a duration written as Go does ("10m", "1h30m");
// a bare number is refused rather than guessed at.
func decodeDuration(o jsonObject, key string) time.Duration {
	s := o.str(key)
	if s == "" {
		return 0
	}
	d, err := time.ParseDuration(s)
	switch {
	case err != nil:
		o.fail(upgrade.Invalidf("%s must be a duration such as \"10m\" or \"1h30m\", got %q", o.name(key), s))
	case d < 0:
		o.fail(upgrade.Invalidf("%s must not be negative, got %q", o.name(key), s))
	}
	return d
}
