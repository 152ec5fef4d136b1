package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	openapiutil "github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	"github.com/alibabacloud-go/tea/dara"
)

// registerClusterParams describes ackup's RegisterCluster extension to the
// SDK's generic CallApi, exactly as the SDK describes its own ROA
// operations, so that the request is signed like every other call.
func registerClusterParams() *openapiutil.Params {
	return &openapiutil.Params{
		Action: dara.String("RegisterCluster"), Version: dara.String("2015-12-15"), Protocol: dara.String("HTTPS"),
		Pathname: dara.String("/api/ackup/v1/clusters"), Method: dara.String("POST"), AuthType: dara.String("AK"),
		Style: dara.String("ROA"), ReqBodyType: dara.String("json"), BodyType: dara.String("json"),
	}
}

// registeredBody is RegisterCluster's answer.
type registeredBody struct {
	ClusterID string `json:"cluster_id"`
	RequestID string `json:"request_id"`
	TaskID    string `json:"task_id"`
}

// actionFlags are the flags of one upgrade action: --X-action NAME or
// --X-wait, and --X-timeout.
type actionFlags struct {
	name    string
	wait    bool
	timeout time.Duration
}

func (a *actionFlags) register(fs *flag.FlagSet, prefix, what string) {
	fs.StringVar(&a.name, prefix+"-action", "", "upgrade "+what+" with this named action, one the server's operator declared (ackup server --actions-file)")
	fs.BoolVar(&a.wait, prefix+"-wait", false, "upgrade "+what+" outside ackup: ackup only waits for the target version (the default)")
	fs.DurationVar(&a.timeout, prefix+"-timeout", 0, "bound on "+what+"'s step (default: the named action's timeout, 30m for wait)")
}

// body renders the action for RegisterCluster, or nil when no flag chose
// anything.
func (a *actionFlags) body(prefix string) (map[string]any, error) {
	out := map[string]any{}
	switch {
	case a.name != "" && a.wait:
		return nil, usagef("--%s-action and --%s-wait exclude each other", prefix, prefix)
	case a.name != "":
		out["type"], out["name"] = "command", a.name
	case a.wait:
		out["type"] = "wait"
	}
	if a.timeout < 0 {
		return nil, usagef("--%s-timeout must not be negative", prefix)
	}
	if a.timeout > 0 {
		out["timeout"] = a.timeout.String()
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// clusterRegister is "ackup cluster register".
func clusterRegister(ctx context.Context, c *cli, name string, args []string) error {
	fs := c.flags(name)
	clusterName := fs.String("name", "", "cluster name (required)")
	kubeconfig := fs.String("kubeconfig", "", "kubeconfig file of the cluster (required; its current context is used; sent once, stored encrypted)")
	poolLabel := fs.String("pool-label", "", "node label whose value names a node's pool (default ackup.io/nodepool; unlabelled nodes are in default-nodepool)")
	var node, controlPlane actionFlags
	node.register(fs, "node", "each drained node")
	controlPlane.register(fs, "control-plane", "the control plane")
	versionFrom := fs.String("control-plane-version-from", "", "where the control plane's version is read: discovery (the API server's /version, the default) or configmap (kube-system/ackup-control-plane)")
	drainTimeout := fs.Duration("drain-timeout", 0, "how long a drain may stay blocked before --drain-timeout-policy applies (default 10m)")
	drainPolicy := fs.String("drain-timeout-policy", "", "what a drain blocked too long does: pause (the default), skip or fail")
	nodeReady := fs.Duration("node-ready-timeout", 0, "how long an upgraded node may take to be Ready at the target (default 10m)")
	deleteEmptyDir := fs.Bool("delete-emptydir-data", false, "let drains evict pods with emptyDir volumes (their data is lost)")
	forceBare := fs.Bool("force-bare-pods", false, "let drains delete pods that no controller manages (they are not recreated)")
	var tagFlags listFlag
	fs.Var(&tagFlags, "tag", "cluster tag KEY=VALUE (repeatable)")
	if _, err := c.parse(fs, args, 0, 0); err != nil {
		return err
	}
	switch {
	case *clusterName == "":
		return usagef("%s: --name is required", fs.Name())
	case *kubeconfig == "":
		return usagef("%s: --kubeconfig is required", fs.Name())
	case *drainTimeout < 0 || *nodeReady < 0:
		return usagef("%s: timeouts must not be negative", fs.Name())
	}
	kube := map[string]any{}
	for _, a := range []struct {
		flags       *actionFlags
		prefix, key string
	}{{&node, "node", "node_action"}, {&controlPlane, "control-plane", "control_plane_action"}} {
		b, err := a.flags.body(a.prefix)
		if err != nil {
			return err
		}
		if b != nil {
			kube[a.key] = b
		}
	}
	for key, v := range map[string]string{"pool_label": *poolLabel, "control_plane_version_from": *versionFrom, "drain_timeout_policy": *drainPolicy} {
		if v != "" {
			kube[key] = v
		}
	}
	for key, d := range map[string]time.Duration{"drain_timeout": *drainTimeout, "node_ready_timeout": *nodeReady} {
		if d > 0 {
			kube[key] = d.String()
		}
	}
	if *deleteEmptyDir {
		kube["delete_emptydir_data"] = true
	}
	if *forceBare {
		kube["force_bare_pods"] = true
	}
	var tags []any
	for _, t := range tagFlags {
		k, v, ok := strings.Cut(t, "=")
		if !ok || k == "" {
			return usagef("--tag %q: want KEY=VALUE", t)
		}
		tags = append(tags, map[string]any{"key": k, "value": v})
	}
	// The file's content is never printed, not even in an error.
	kc, err := os.ReadFile(*kubeconfig)
	if err != nil {
		return usagef("%s: --kubeconfig: %v", fs.Name(), err)
	}
	s, err := c.connect()
	if err != nil {
		return err
	}
	body := map[string]any{"name": *clusterName, "region_id": s.region, "kubeconfig": string(kc), "kubernetes": kube}
	if len(tags) > 0 {
		body["tags"] = tags
	}
	resp, err := s.cs.CallApiWithCtx(ctx, registerClusterParams(), &openapiutil.OpenApiRequest{Body: openapiutil.ParseToMap(body)}, &dara.RuntimeOptions{})
	if err != nil {
		return err
	}
	var out registeredBody
	if err := dara.Convert(resp["body"], &out); err != nil {
		return fmt.Errorf("read RegisterCluster's answer: %w", err)
	}
	return s.out.emit(out, func(w io.Writer) { fmt.Fprintln(w, out.ClusterID) })
}
