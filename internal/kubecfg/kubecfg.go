// Package kubecfg holds the plain configuration of the Kubernetes executor
// (the credential, the upgrade actions, the drain policy) and the snapshot of
// a live cluster, without importing any Kubernetes library. It sits at the
// bottom of ackup's layers, beside the domain, so that the API, the service
// and the command can register clusters without importing the executor;
// package kube (internal/executor/kube), which does the work and is the only
// importer of client-go, implements it.
package kubecfg

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Action types.
const (
	// ActionCommand runs one of the named actions the operator declared in
	// the server's actions file (kubeadm over ssh, a cloud CLI, ...) and
	// then waits for the component to report the target version. The API
	// caller picks an action by name; it never supplies a program.
	ActionCommand = "command"
	// ActionWait does nothing itself: something outside ackup, such as a
	// cloud node group or an operator, brings the component to the target
	// version, and ackup waits for it.
	ActionWait = "wait"
)

// Where the control plane's version is read from.
const (
	// VersionFromDiscovery reads the API server's /version (the default).
	VersionFromDiscovery = "discovery"
	// VersionFromConfigMap reads the "version" key of ConfigMap
	// kube-system/ackup-control-plane, falling back to /version when the
	// ConfigMap or key is absent. For control planes whose API server does
	// not report the version that matters (and for tests, which cannot swap
	// a kube-apiserver binary).
	VersionFromConfigMap = "configmap"
)

// ControlPlaneConfigMap names the ConfigMap that VersionFromConfigMap reads
// (namespace kube-system, key "version").
const (
	ControlPlaneConfigMapNamespace = "kube-system"
	ControlPlaneConfigMapName      = "ackup-control-plane"
	ControlPlaneConfigMapKey       = "version"
)

// Drain timeout policies (the same words as executor.DrainPause and friends).
const (
	DrainPause = "pause"
	DrainSkip  = "skip"
	DrainFail  = "fail"
)

// Defaults applied by WithDefaults.
const (
	DefaultPoolLabel        = "ackup.io/nodepool"
	DefaultPoolName         = "default-nodepool"
	DefaultDrainTimeout     = 10 * time.Minute
	DefaultDrainPolicy      = DrainPause
	DefaultActionTimeout    = 30 * time.Minute
	DefaultNodeReadyTimeout = 10 * time.Minute
)

// MaxKubeconfigSize bounds the kubeconfig a cluster may be registered with.
const MaxKubeconfigSize = 1 << 20

// ErrInvalid marks a configuration (or kubeconfig) that cannot work; the
// message says why. Callers map it to the API's InvalidParameter.
var ErrInvalid = errors.New("invalid Kubernetes executor configuration")

// Invalidf returns an error wrapping ErrInvalid.
func Invalidf(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, a...))
}

// Action says how a component (the control plane, or one node) is brought
// to the target version.
type Action struct {
	// Type is ActionCommand or ActionWait; a Name alone means ActionCommand.
	Type string `json:"type"`
	// Name names the operator's NamedAction to run (ActionCommand only).
	// Only the name is stored with the cluster: the program is looked up in
	// the server's actions when the step runs.
	Name string `json:"name,omitempty"`
	// Timeout bounds the whole step: the action's run and the wait for the
	// component to report the target version (default: the named action's
	// timeout for ActionCommand, 30m for ActionWait).
	Timeout time.Duration `json:"timeout,omitempty"`
}

// Config is the Kubernetes executor's configuration of one cluster. It is
// JSON-encoded and sealed with the server key into the cluster's
// ExecutorConfig, since it carries the kubeconfig.
type Config struct {
	// Kubeconfig is the cluster's kubeconfig (a credential: never logged,
	// never returned).
	Kubeconfig []byte `json:"kubeconfig,omitempty"`
	// PoolLabel is the node label whose value names a node's pool (default
	// "ackup.io/nodepool"); nodes without it are in DefaultPoolName.
	PoolLabel string `json:"pool_label,omitempty"`
	// ControlPlaneAction upgrades the control plane (default: wait).
	ControlPlaneAction Action `json:"control_plane_action"`
	// NodeAction upgrades one drained node (default: wait).
	NodeAction Action `json:"node_action"`
	// ControlPlaneVersionFrom is VersionFromDiscovery (default) or
	// VersionFromConfigMap.
	ControlPlaneVersionFrom string `json:"control_plane_version_from,omitempty"`
	// DrainTimeout is how long a drain may stay blocked before
	// DrainTimeoutPolicy applies (default 10m).
	DrainTimeout time.Duration `json:"drain_timeout,omitempty"`
	// DrainTimeoutPolicy is DrainPause (default), DrainSkip or DrainFail.
	DrainTimeoutPolicy string `json:"drain_timeout_policy,omitempty"`
	// DeleteEmptyDirData lets the drain evict pods with emptyDir volumes,
	// whose data is lost. Off by default: such pods block the drain.
	DeleteEmptyDirData bool `json:"delete_emptydir_data,omitempty"`
	// ForceBarePods lets the drain delete pods that no controller manages;
	// they are not recreated. Off by default: such pods block the drain.
	ForceBarePods bool `json:"force_bare_pods,omitempty"`
	// NodeReadyTimeout bounds the wait for an upgraded node to be Ready at
	// the target version (default 10m).
	NodeReadyTimeout time.Duration `json:"node_ready_timeout,omitempty"`
}

// WithDefaults returns c with zero fields set to their defaults.
func (c Config) WithDefaults() Config {
	if c.PoolLabel == "" {
		c.PoolLabel = DefaultPoolLabel
	}
	c.ControlPlaneAction = c.ControlPlaneAction.withDefaults()
	c.NodeAction = c.NodeAction.withDefaults()
	if c.ControlPlaneVersionFrom == "" {
		c.ControlPlaneVersionFrom = VersionFromDiscovery
	}
	if c.DrainTimeout <= 0 {
		c.DrainTimeout = DefaultDrainTimeout
	}
	if c.DrainTimeoutPolicy == "" {
		c.DrainTimeoutPolicy = DefaultDrainPolicy
	}
	if c.NodeReadyTimeout <= 0 {
		c.NodeReadyTimeout = DefaultNodeReadyTimeout
	}
	return c
}

func (a Action) withDefaults() Action {
	switch {
	case a.Type == "" && a.Name != "":
		a.Type = ActionCommand
	case a.Type == "":
		a.Type = ActionWait
	}
	// A command action's timeout defaults to its named action's, which
	// only the executor knows.
	if a.Timeout <= 0 && a.Type == ActionWait {
		a.Timeout = DefaultActionTimeout
	}
	return a
}

// Validate checks every field but the kubeconfig's content (package kube
// parses that) and whether the named actions exist (the server's actions
// say). Errors wrap ErrInvalid.
func (c Config) Validate() error { return c.validate(true) }

// validate is Validate; stored configurations are read with named=false,
// so that one written before actions were named (a command action without
// a name) still opens, and its step fails saying why instead.
func (c Config) validate(named bool) error {
	if len(c.Kubeconfig) > MaxKubeconfigSize {
		return Invalidf("the kubeconfig is larger than %d bytes", MaxKubeconfigSize)
	}
	if strings.ContainsAny(c.PoolLabel, " \t\n") {
		return Invalidf("pool_label %q is not a label key", c.PoolLabel)
	}
	if err := c.ControlPlaneAction.validate("control_plane_action", named); err != nil {
		return err
	}
	if err := c.NodeAction.validate("node_action", named); err != nil {
		return err
	}
	switch c.ControlPlaneVersionFrom {
	case "", VersionFromDiscovery, VersionFromConfigMap:
	default:
		return Invalidf("control_plane_version_from %q is not one of %s, %s", c.ControlPlaneVersionFrom, VersionFromDiscovery, VersionFromConfigMap)
	}
	switch c.DrainTimeoutPolicy {
	case "", DrainPause, DrainSkip, DrainFail:
	default:
		return Invalidf("drain_timeout_policy %q is not one of %s, %s, %s", c.DrainTimeoutPolicy, DrainPause, DrainSkip, DrainFail)
	}
	if c.DrainTimeout < 0 || c.NodeReadyTimeout < 0 {
		return Invalidf("timeouts must not be negative")
	}
	return nil
}

func (a Action) validate(field string, named bool) error {
	switch {
	case a.Type == ActionWait && a.Name != "":
		return Invalidf("%s: a wait action runs nothing, so it takes no name", field)
	case a.Type == "" || a.Type == ActionWait:
	case a.Type == ActionCommand && a.Name == "" && !named:
	case a.Type == ActionCommand && a.Name == "":
		return Invalidf("%s.name is required with type command: the name of an action the server's operator declared", field)
	case a.Type == ActionCommand:
		if !actionName.MatchString(a.Name) {
			return Invalidf("%s.name %q is not an action name: %s", field, a.Name, actionNameRule)
		}
	default:
		return Invalidf("%s.type %q is not one of %s, %s", field, a.Type, ActionCommand, ActionWait)
	}
	if a.Timeout < 0 {
		return Invalidf("%s.timeout must not be negative", field)
	}
	return nil
}

// Encode returns the JSON form of c (to be sealed; it holds the kubeconfig).
func (c Config) Encode() []byte {
	b, err := json.Marshal(c)
	if err != nil {
		panic(err) // a struct of strings, bools and integers always encodes
	}
	return b
}

// Decode parses what Encode produced and applies the defaults.
func Decode(b []byte) (Config, error) {
	var c Config
	if err := json.Unmarshal(b, &c); err != nil {
		return Config{}, Invalidf("the executor configuration cannot be read: %v", err)
	}
	if err := c.validate(false); err != nil {
		return Config{}, err
	}
	return c.WithDefaults(), nil
}

// ReachError is a failure to read a cluster through its API server. Its
// message is Reason, which says why in words a user can act on and never
// quotes what the server answered; Err is the whole error, for the log.
type ReachError struct {
	Reason string
	Err    error
}

func (e *ReachError) Error() string { return e.Reason }

func (e *ReachError) Unwrap() error { return e.Err }
