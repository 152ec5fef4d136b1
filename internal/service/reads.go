package service

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ackup/ackup/internal/upgrade"
)

// The reads below answer what the alicloud Terraform provider's Read of a
// managed cluster asks beyond DescribeClusterDetail. ackup collects no
// control-plane or audit logs and owns no cloud resources, so they say so
// truthfully rather than invent projects and load balancers.

// Kubeconfig bounds (DescribeClusterUserKubeconfig's documentation).
const (
	kubeconfigValidity      = 3 * 365 * 24 * time.Hour
	MinTemporaryKubeconfig  = 15
	MaxTemporaryKubeconfig  = 4320 // three days, in minutes
	placeholderAPIServerFmt = "https://%s.%s.ackup.invalid:6443"
)

// Kubeconfig is a cluster's user kubeconfig and when it expires.
type Kubeconfig struct {
	Config     string
	Expiration time.Time
}

// UserKubeconfig returns a kubeconfig for a cluster of account. ackup
// issues no credentials: the kubeconfig names the cluster and a user with
// empty certificate fields, and points to a placeholder API server under
// the reserved .invalid domain (RFC 2606), which never resolves:
//
//	https://<cluster-id>.sim.ackup.invalid:6443         simulated clusters
//	https://<cluster-id>.registered.ackup.invalid:6443  registered clusters
//
// A registered cluster's stored kubeconfig is never opened here, so none of
// its secrets (tokens, client keys) can reach a response; use the
// kubeconfig it was registered with. temporaryMinutes, when positive (15 to
// 4320), sets the expiration that far ahead; otherwise the kubeconfig
// expires three years after the cluster was created.
func (s *Service) UserKubeconfig(ctx context.Context, account, clusterID string, temporaryMinutes int) (Kubeconfig, error) {
	if temporaryMinutes != 0 && (temporaryMinutes < MinTemporaryKubeconfig || temporaryMinutes > MaxTemporaryKubeconfig) {
		return Kubeconfig{}, upgrade.Invalidf("TemporaryDurationMinutes must be between %d and %d, got %d",
			MinTemporaryKubeconfig, MaxTemporaryKubeconfig, temporaryMinutes)
	}
	c, err := s.clusterGet(ctx, s.st, account, clusterID)
	if err != nil {
		return Kubeconfig{}, err
	}
	kind := "sim"
	if c.Executor == upgrade.ExecutorKube {
		kind = "registered"
	}
	exp := c.Created.Add(kubeconfigValidity)
	if temporaryMinutes > 0 {
		exp = s.now().Add(time.Duration(temporaryMinutes) * time.Minute)
	}
	return Kubeconfig{Config: placeholderKubeconfig(c.ID, fmt.Sprintf(placeholderAPIServerFmt, dnsLabel(c.ID), kind), account),
		Expiration: exp.UTC().Truncate(time.Second)}, nil
}

// dnsLabel makes a cluster id usable as a host name label.
func dnsLabel(id string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(id) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	return b.String()
}

// placeholderKubeconfig is a kubeconfig in ACK's layout. The certificate
// fields are present and empty: clients (the Terraform provider among
// them) read them unconditionally.
func placeholderKubeconfig(clusterID, server, account string) string {
	q := strconv.Quote // YAML double-quoted scalars accept Go's escapes for these ASCII values
	user, ctxName := account, account+"-"+clusterID
	return "apiVersion: v1\n" +
		"clusters:\n" +
		"- cluster:\n" +
		"    server: " + q(server) + "\n" +
		"    certificate-authority-data: \"\"\n" +
		"  name: kubernetes\n" +
		"contexts:\n" +
		"- context:\n" +
		"    cluster: kubernetes\n" +
		"    user: " + q(user) + "\n" +
		"  name: " + q(ctxName) + "\n" +
		"current-context: " + q(ctxName) + "\n" +
		"kind: Config\n" +
		"preferences: {}\n" +
		"users:\n" +
		"- name: " + q(user) + "\n" +
		"  user:\n" +
		"    client-certificate-data: \"\"\n" +
		"    client-key-data: \"\"\n"
}

// ControlPlaneLog is CheckControlPlaneLogEnable's answer.
type ControlPlaneLog struct {
	Components []string
	LogProject string
	LogTTL     string
}

// ControlPlaneLog reports the control-plane log collection of a cluster of
// account: ackup collects none, so no components and no project.
func (s *Service) ControlPlaneLog(ctx context.Context, account, clusterID string) (ControlPlaneLog, error) {
	if _, err := s.clusterGet(ctx, s.st, account, clusterID); err != nil {
		return ControlPlaneLog{}, err
	}
	return ControlPlaneLog{Components: []string{}}, nil
}

// AuditProject is GetClusterAuditProject's answer.
type AuditProject struct {
	Enabled        bool
	SlsProjectName string
}

// AuditProject reports the API-server audit logging of a cluster of
// account: ackup ships no audit logs, so it is disabled.
func (s *Service) AuditProject(ctx context.Context, account, clusterID string) (AuditProject, error) {
	if _, err := s.clusterGet(ctx, s.st, account, clusterID); err != nil {
		return AuditProject{}, err
	}
	return AuditProject{}, nil
}

// ClusterResource is an item of DescribeClusterResources.
type ClusterResource struct {
	ClusterID    string
	ResourceType string // ROS type, e.g. "ALIYUN::ECS::Instance"
	InstanceID   string
	NodeName     string // the Kubernetes node the instance backs
	State        string // ROS state, "CREATE_COMPLETE" once the node exists
	Created      time.Time
}

// ResourceECSInstance is the ROS type of a node's instance.
const ResourceECSInstance = "ALIYUN::ECS::Instance"

// ListClusterResources lists the resources ackup records for a cluster of
// account: one ECS instance per node, with the instance ids
// DescribeClusterNodes reports. There are no load balancers, security
// groups or NAT gateways to list.
func (s *Service) ListClusterResources(ctx context.Context, account, clusterID string) ([]ClusterResource, error) {
	s.refreshLive(ctx, account, clusterID)
	if _, err := s.clusterGet(ctx, s.st, account, clusterID); err != nil {
		return nil, err
	}
	nodes, _, err := s.st.NodeList(ctx, upgrade.NodeListParams{ClusterID: clusterID})
	if err != nil {
		return nil, fmt.Errorf("list nodes of %s: %w", clusterID, err)
	}
	out := make([]ClusterResource, 0, len(nodes))
	for _, n := range nodes {
		state := "CREATE_COMPLETE"
		if n.State == "initial" {
			state = "CREATE_IN_PROGRESS"
		}
		out = append(out, ClusterResource{ClusterID: clusterID, ResourceType: ResourceECSInstance, InstanceID: n.InstanceID,
			NodeName: n.Name, State: state, Created: n.Created})
	}
	return out, nil
}
