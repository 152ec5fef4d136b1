package api

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ackup/ackup/internal/service"
)

func (f *fakeBackend) UserKubeconfig(_ context.Context, account, id string, minutes int) (service.Kubeconfig, error) {
	if err := f.begin("UserKubeconfig", minutes); err != nil {
		return service.Kubeconfig{}, err
	}
	c, err := f.cluster(id)
	if err != nil {
		return service.Kubeconfig{}, err
	}
	return service.Kubeconfig{Config: "apiVersion: v1\nkind: Config\n# " + c.ID + " " + account + "\n",
		Expiration: c.Created.Add(3 * 365 * 24 * time.Hour)}, nil
}

func (f *fakeBackend) ControlPlaneLog(_ context.Context, _, id string) (service.ControlPlaneLog, error) {
	if err := f.begin("ControlPlaneLog", id); err != nil {
		return service.ControlPlaneLog{}, err
	}
	_, err := f.cluster(id)
	return service.ControlPlaneLog{}, err
}

func (f *fakeBackend) AuditProject(_ context.Context, _, id string) (service.AuditProject, error) {
	if err := f.begin("AuditProject", id); err != nil {
		return service.AuditProject{}, err
	}
	_, err := f.cluster(id)
	return service.AuditProject{}, err
}

func (f *fakeBackend) ListClusterResources(_ context.Context, _, id string) ([]service.ClusterResource, error) {
	if err := f.begin("ListClusterResources", id); err != nil {
		return nil, err
	}
	if _, err := f.cluster(id); err != nil {
		return nil, err
	}
	var out []service.ClusterResource
	for _, n := range f.nodes[id] {
		out = append(out, service.ClusterResource{ClusterID: id, ResourceType: service.ResourceECSInstance, InstanceID: n.InstanceID,
			NodeName: n.Name, State: "CREATE_COMPLETE", Created: n.Created})
	}
	return out, nil
}

func TestProviderReadsOfAnUnknownClusterAreErrorClusterNotFound(t *testing.T) {
	t.Parallel()
	for _, target := range []string{"/k8s/c404/user_config", "/clusters/c404/controlplanelog", "/clusters/c404/audit", "/clusters/c404/resources"} {
		ts := newTestServer(t)
		w := ts.do("GET", target, "")
		if w.Code != http.StatusNotFound || decodeMap(t, w)["code"] != "ErrorClusterNotFound" {
			t.Errorf("GET %s: %d %s, want 404 ErrorClusterNotFound", target, w.Code, w.Body)
		}
	}
}

func TestUserKubeconfigValidatesTemporaryDuration(t *testing.T) {
	t.Parallel()
	for _, q := range []string{"TemporaryDurationMinutes=14", "TemporaryDurationMinutes=4321", "TemporaryDurationMinutes=x", "PrivateIpAddress=maybe"} {
		ts := newTestServer(t)
		w := ts.do("GET", "/k8s/c1/user_config?"+q, "")
		if w.Code != http.StatusBadRequest {
			t.Errorf("%s: status %d %s, want 400", q, w.Code, w.Body)
		}
		if ts.backend.lastOp != "" {
			t.Errorf("%s: the backend was called (%s) for a bad request", q, ts.backend.lastOp)
		}
	}
	ts := newTestServer(t)
	if w := ts.do("GET", "/k8s/c1/user_config?TemporaryDurationMinutes=15&PrivateIpAddress=false", ""); w.Code != http.StatusOK {
		t.Fatalf("15 minutes: %d %s", w.Code, w.Body)
	}
	if ts.backend.last != 15 {
		t.Errorf("backend got %v minutes, want 15", ts.backend.last)
	}
}

func TestDescribeClusterResourcesIsATopLevelArray(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	w := ts.do("GET", "/clusters/c1/resources?with_addon_resources=true", "")
	var items []map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &items); err != nil || len(items) != 2 {
		t.Fatalf("body %s: %v, want two items", w.Body, err)
	}
	if items[0]["instance_id"] != "i-1" || !strings.HasPrefix(items[0]["resource_type"].(string), "ALIYUN::ECS::") {
		t.Errorf("first item %v", items[0])
	}
}
