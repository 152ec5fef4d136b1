package main

import (
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

func TestClusterLifecycle(t *testing.T) {
	t.Parallel()
	e := startServer(t, 2000)

	id := e.createCluster("--name", "life", "--version", "1.33.1-aliyun.1", "--nodes", "2", "--pools", "2",
		"--tag", "team=infra", "--fault", "drain-blocked=1")

	// Table mode prints only the id, for scripts.
	out := e.ok("cluster", "create", "--name", "plain")
	if !strings.HasPrefix(out, "c") || strings.Count(out, "\n") != 1 {
		t.Errorf("cluster create printed %q, want the cluster id alone", out)
	}

	var detail struct {
		ClusterID      string `json:"cluster_id"`
		Name           string `json:"name"`
		State          string `json:"state"`
		CurrentVersion string `json:"current_version"`
		Size           int    `json:"size"`
		Tags           []struct{ Key, Value string }
	}
	e.okJSON(&detail, "cluster", "show", id)
	if detail.ClusterID != id || detail.Name != "life" || detail.State != "running" || detail.CurrentVersion != "1.33.1-aliyun.1" || detail.Size != 4 {
		t.Errorf("cluster show = %+v", detail)
	}
	tags := map[string]string{}
	for _, tg := range detail.Tags {
		tags[tg.Key] = tg.Value
	}
	if tags["team"] != "infra" || tags["ackup.sim/drain-blocked"] != "1" {
		t.Errorf("tags = %v, want team=infra and ackup.sim/drain-blocked=1", tags)
	}
	show := e.ok("cluster", "show", id)
	assertFits(t, show)
	for _, want := range []string{"State:", "running", "default-nodepool", "nodepool-2"} {
		if !strings.Contains(show, want) {
			t.Errorf("cluster show table lacks %q:\n%s", want, show)
		}
	}

	var list struct {
		Clusters []struct {
			ClusterID string `json:"cluster_id"`
			Name      string `json:"name"`
		} `json:"clusters"`
		PageInfo struct {
			TotalCount int `json:"total_count"`
		} `json:"page_info"`
	}
	e.okJSON(&list, "cluster", "list")
	if len(list.Clusters) != 2 || list.PageInfo.TotalCount != 2 {
		t.Fatalf("cluster list = %+v, want 2 clusters", list)
	}
	var ids []string
	for _, c := range list.Clusters {
		ids = append(ids, c.ClusterID)
	}
	if !slices.Contains(ids, id) {
		t.Errorf("cluster list = %v, lacks %s", ids, id)
	}
	table := e.ok("cluster", "list")
	assertFits(t, table)
	if !strings.Contains(table, id) || !strings.HasPrefix(table, "CLUSTER ID") {
		t.Errorf("cluster list table:\n%s", table)
	}

	// YAML is the same body.
	var y struct {
		Clusters []map[string]any `json:"clusters"`
	}
	if err := yaml.Unmarshal([]byte(e.ok("cluster", "list", "-o", "yaml")), &y); err != nil || len(y.Clusters) != 2 {
		t.Errorf("cluster list -o yaml: %v, %d clusters", err, len(y.Clusters))
	}

	var pools struct {
		Nodepools []struct {
			Info struct {
				ID   string `json:"nodepool_id"`
				Name string `json:"name"`
			} `json:"nodepool_info"`
		} `json:"nodepools"`
	}
	e.okJSON(&pools, "nodepool", "list", id)
	if len(pools.Nodepools) != 2 {
		t.Errorf("nodepool list = %+v, want 2 pools", pools)
	}
	assertFits(t, e.ok("nodepool", "list", id))

	var deleted struct {
		ClusterID string `json:"cluster_id"`
		TaskID    string `json:"task_id"`
	}
	e.okJSON(&deleted, "cluster", "delete", id, "--wait", "--interval", "20ms")
	if deleted.ClusterID != id || deleted.TaskID == "" {
		t.Errorf("cluster delete = %+v", deleted)
	}
	assertAPIError(t, e.run("cluster", "show", id), "ErrorClusterNotFound")
}

func TestVersions(t *testing.T) {
	t.Parallel()
	e := startServer(t, 2000)
	var versions []struct {
		Version            string   `json:"version"`
		Creatable          bool     `json:"creatable"`
		UpgradableVersions []string `json:"upgradable_versions"`
	}
	e.okJSON(&versions, "versions")
	if len(versions) < 4 {
		t.Fatalf("versions = %+v, want the catalogue", versions)
	}
	table := e.ok("versions", "--all")
	assertFits(t, table)
	if !strings.Contains(table, versions[0].Version) {
		t.Errorf("versions table lacks %s:\n%s", versions[0].Version, table)
	}

	id := e.createCluster("--name", "v", "--version", "1.33.1-aliyun.1", "--nodes", "1")
	e.okJSON(&versions, "versions", "--cluster", id)
	if len(versions) != 1 || versions[0].Version != "1.33.1-aliyun.1" || !slices.Contains(versions[0].UpgradableVersions, "1.33.3-aliyun.1") {
		t.Errorf("versions --cluster = %+v, want 1.33.1 with 1.33.3 among its targets", versions)
	}
	assertFits(t, e.ok("versions", "--from", "1.33.1-aliyun.1"))
}

func TestErrorsAndExitCodes(t *testing.T) {
	t.Parallel()
	e := startServer(t, 2000)

	assertAPIError(t, e.run("cluster", "show", "c00000000000000000000000000000000"), "ErrorClusterNotFound")
	assertAPIError(t, e.run("upgrade", "status", "cnope"), "ErrorClusterNotFound")
	assertAPIError(t, e.run("task", "show", "T-000000000000000000000000"), "ErrorTaskNotFound")
	assertAPIError(t, e.run("task", "pause", "T-000000000000000000000000"), "ErrorTaskNotFound")
	assertAPIError(t, e.run("cluster", "create", "--name", "-bad"), "InvalidParameter")
	assertAPIError(t, e.run("upgrade", "start", "cnope", "--to", "1.34.1-aliyun.1"), "ErrorClusterNotFound")

	// A wrong secret is refused by the signature check.
	bad := e.config + ".bad"
	writeAliyunConfig(t, bad, testProfile, testKeyID, "wrong-secret")
	var r result
	assertAPIError(t, e.runRaw("cluster", "list", "--endpoint", e.addr, "--config-path", bad, "--profile", testProfile), "SignatureDoesNotMatch")

	usage := []struct {
		name string
		args []string
	}{
		{"unknown subcommand", []string{"cluster", "explode"}},
		{"missing subcommand", []string{"upgrade"}},
		{"missing argument", []string{"cluster", "show"}},
		{"extra argument", []string{"task", "show", "T-1", "T-2"}},
		{"bad output", []string{"cluster", "list", "--output", "xml"}},
		{"unknown flag", []string{"cluster", "list", "--colour"}},
		{"missing name", []string{"cluster", "create"}},
		{"bad fault", []string{"cluster", "create", "--name", "x", "--fault", "meteor=1"}},
	}
	for _, tc := range usage {
		r = e.run(tc.args...)
		lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
		if r.code != exitUsage || !strings.HasPrefix(lines[len(lines)-1], "ackup: ") {
			t.Errorf("%s: exit %d, stderr %q; want exit %d", tc.name, r.code, r.stderr, exitUsage)
		}
	}

	r = e.runRaw("cluster", "list", "--endpoint", e.addr, "--config-path", e.config, "--profile", "nobody")
	if r.code != exitUsage || !strings.Contains(r.stderr, `profile "nobody"`) {
		t.Errorf("unknown profile: exit %d, stderr %q; want exit %d", r.code, r.stderr, exitUsage)
	}

	// Help is not an error, and global flags may come before the word.
	if r = e.run("cluster", "-h"); r.code != 0 || !strings.Contains(r.stdout, "create") {
		t.Errorf("cluster -h: exit %d, stdout %q", r.code, r.stdout)
	}
	if r = e.run("cluster", "create", "-h"); r.code != 0 || !strings.Contains(r.stdout, "drain-blocked") {
		t.Errorf("cluster create -h: exit %d, stdout %q", r.code, r.stdout)
	}
	var list map[string]any
	if r = e.run("cluster", "-o", "json", "list"); r.code != 0 || yaml.Unmarshal([]byte(r.stdout), &list) != nil || list["clusters"] == nil {
		t.Errorf("cluster -o json list: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}

func TestUnreachableEndpoint(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	config := dir + "/config.json"
	writeAliyunConfig(t, config, testProfile, testKeyID, testKeySecret)
	var out, errb strings.Builder
	// Port 1 on loopback is never served in the test environment.
	code := run(t.Context(), []string{"cluster", "list", "--endpoint", "127.0.0.1:1", "--config-path", config, "--profile", testProfile}, &out, &errb)
	if code != exitFailed || !strings.HasPrefix(errb.String(), "ackup: ") {
		t.Errorf("exit %d, stderr %q; want exit 1 with a message", code, errb.String())
	}
}
