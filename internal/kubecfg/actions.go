package kubecfg

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"sigs.k8s.io/yaml"
)

// Programs that upgrade a component are the operator's to choose, never an
// API caller's: a caller holding any AccessKey could otherwise run code on
// the ackup host with the server's environment. The operator declares
// named actions in a file given to `ackup server --actions-file`; a
// cluster's ActionCommand refers to one by name, and the name is resolved
// each time the step runs.

// actionNameRule is what a name may be, for messages.
const actionNameRule = "1 to 63 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit"

var actionName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)

// envName is what an operator's extra variable may be called.
var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// NamedAction is one program the operator allows clusters to run as an
// upgrade action.
type NamedAction struct {
	// Name is what clusters call it by.
	Name string `json:"name"`
	// Argv is the program (an absolute path) and its arguments. It runs in
	// an empty temporary directory with only the variables of ActionEnv.
	Argv []string `json:"argv"`
	// Timeout bounds one run (default DefaultActionTimeout); the program is
	// killed when it passes.
	Timeout time.Duration `json:"timeout,omitempty"`
	// Kubeconfig gives the program the cluster's kubeconfig: a temporary
	// file of mode 0600, named by KUBECONFIG, removed after the run.
	Kubeconfig bool `json:"kubeconfig,omitempty"`
	// Env adds fixed variables (HOME, SSH_AUTH_SOCK, ...) that the
	// operator writes here; nothing is taken from the server's own
	// environment. They may not set the variables ackup sets.
	Env map[string]string `json:"env,omitempty"`
}

// The variables an action's program is given, besides NamedAction.Env.
const (
	// EnvPath is PATH, fixed to SafePath unless Env sets it.
	EnvPath = "PATH"
	// EnvAction is the action's name.
	EnvAction = "ACKUP_ACTION"
	// EnvClusterID is the cluster's id.
	EnvClusterID = "ACKUP_CLUSTER_ID"
	// EnvNodeName is the node's name; empty for the control plane.
	EnvNodeName = "ACKUP_NODE_NAME"
	// EnvFromVersion is the component's version before the action, as the
	// cluster reports it ("v1.33.3"); empty when it is not a version.
	EnvFromVersion = "ACKUP_FROM_VERSION"
	// EnvTargetVersion is the target in Kubernetes form ("v1.34.1").
	EnvTargetVersion = "ACKUP_TARGET_VERSION"
	// EnvTargetACKVersion is the target in ACK form ("1.34.1-aliyun.1").
	EnvTargetACKVersion = "ACKUP_TARGET_ACK_VERSION"
	// EnvKubeconfig is KUBECONFIG, set only for an action declared with
	// kubeconfig: true.
	EnvKubeconfig = "KUBECONFIG"
)

// SafePath is the PATH an action runs with.
const SafePath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// ActionEnv lists the variables ackup sets for an action, in order.
var ActionEnv = []string{EnvPath, EnvAction, EnvClusterID, EnvNodeName, EnvFromVersion, EnvTargetVersion, EnvTargetACKVersion, EnvKubeconfig}

// Actions are the operator's named actions.
type Actions []NamedAction

// Lookup returns the action called name.
func (as Actions) Lookup(name string) (NamedAction, bool) {
	for _, a := range as {
		if a.Name == name {
			return a, true
		}
	}
	return NamedAction{}, false
}

// Names lists the actions' names.
func (as Actions) Names() []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.Name
	}
	return out
}

// Check reports an error wrapping ErrInvalid when c's command actions name
// actions that as does not declare.
func (as Actions) Check(c Config) error {
	for _, f := range []struct {
		field string
		a     Action
	}{{"control_plane_action", c.ControlPlaneAction}, {"node_action", c.NodeAction}} {
		if f.a.Type == ActionWait || (f.a.Type == "" && f.a.Name == "") {
			continue
		}
		if _, ok := as.Lookup(f.a.Name); ok {
			continue
		}
		if len(as) == 0 {
			return Invalidf("%s.name %q: this ackup server declares no actions; ask its operator to declare one (ackup server --actions-file), or use type wait", f.field, f.a.Name)
		}
		return Invalidf("%s.name %q is not an action this ackup server declares (it declares %s); ask its operator to declare it", f.field, f.a.Name, strings.Join(as.Names(), ", "))
	}
	return nil
}

// actionsFile is the file's shape.
type actionsFile struct {
	Actions []namedActionJSON `json:"actions"`
}

// namedActionJSON reads a timeout written as a duration ("45m").
type namedActionJSON struct {
	NamedAction
	Timeout json.RawMessage `json:"timeout,omitempty"`
}

// ParseActions reads an actions file, YAML or JSON:
//
//	actions:
//	- name: kubeadm-node
//	  argv: ["/etc/ackup/kubeadm-node.sh"]
//	  timeout: 20m
//	  kubeconfig: true
//
// Unknown fields are errors, so that a misspelt field is not silently
// ignored.
func ParseActions(b []byte) (Actions, error) {
	var f actionsFile
	if err := yaml.UnmarshalStrict(b, &f); err != nil {
		return nil, fmt.Errorf("the actions file cannot be read: %w", err)
	}
	out := make(Actions, 0, len(f.Actions))
	for i, raw := range f.Actions {
		a := raw.NamedAction
		d, err := parseDurationJSON(fmt.Sprintf("actions[%d].timeout", i), raw.Timeout)
		if err != nil {
			return nil, err
		}
		a.Timeout = d
		if a.Timeout == 0 {
			a.Timeout = DefaultActionTimeout
		}
		if err := a.validate(fmt.Sprintf("actions[%d]", i)); err != nil {
			return nil, err
		}
		if _, dup := out.Lookup(a.Name); dup {
			return nil, fmt.Errorf("actions[%d].name %q is declared twice", i, a.Name)
		}
		out = append(out, a)
	}
	return out, nil
}

// ReadActionsFile parses the actions file at path; "" means none.
func ReadActionsFile(path string) (Actions, error) {
	if path == "" {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read the actions file: %w", err)
	}
	as, err := ParseActions(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return as, nil
}

func (a NamedAction) validate(field string) error {
	switch {
	case !actionName.MatchString(a.Name):
		return fmt.Errorf("%s.name %q is not an action name: %s", field, a.Name, actionNameRule)
	case len(a.Argv) == 0:
		return fmt.Errorf("%s (%s): argv is required: the program and its arguments", field, a.Name)
	case !filepath.IsAbs(a.Argv[0]):
		return fmt.Errorf("%s (%s): argv[0] %q must be an absolute path (actions run with PATH=%s)", field, a.Name, a.Argv[0], SafePath)
	case a.Timeout < 0:
		return fmt.Errorf("%s (%s): timeout must not be negative", field, a.Name)
	}
	for k := range a.Env {
		if !envName.MatchString(k) {
			return fmt.Errorf("%s (%s): env %q is not a variable name", field, a.Name, k)
		}
		if k != EnvPath && (slices.Contains(ActionEnv, k) || strings.HasPrefix(k, "ACKUP_")) {
			return fmt.Errorf("%s (%s): env may not set %s, which ackup sets", field, a.Name, k)
		}
	}
	return nil
}
