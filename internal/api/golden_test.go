package api

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/ackup/ackup/internal/upgrade"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the current output")

// checkGolden compares got with testdata/golden/name, rewriting it under
// -update. JSON is stored indented (which keeps key order and escapes), so
// the files read well and still pin the exact wire form.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	if filepath.Ext(name) == ".json" {
		var buf bytes.Buffer
		if err := json.Indent(&buf, got, "", "  "); err != nil {
			t.Fatalf("%s: not JSON: %v\n%s", name, err, got)
		}
		buf.WriteByte('\n')
		got = buf.Bytes()
	}
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it)\n got: %s\nwant: %s", name, got, want)
	}
}

func TestGoldenSuccessBodies(t *testing.T) {
	for _, tc := range opCases {
		t.Run(tc.op, func(t *testing.T) {
			ts := newTestServer(t)
			w := ts.do(tc.method, tc.target, tc.body)
			if w.Code >= 300 {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			checkGolden(t, tc.op+".json", w.Body.Bytes())
		})
	}
}

func TestGoldenXMLBodies(t *testing.T) {
	for _, op := range []string{"GetUpgradeStatus", "DescribeKubernetesVersionMetadata", "DescribeTaskInfo", "GetClusterCheck", "PauseTask"} {
		for _, tc := range opCases {
			if tc.op != op {
				continue
			}
			ts := newTestServer(t)
			w := ts.doWith(tc.method, tc.target, tc.body, http.Header{"Authorization": {testAccount}})
			checkGolden(t, filepath.Join("xml", op+".xml"), w.Body.Bytes())
		}
	}
}

// TestGoldenFailedUpgradeStatus pins the old view of a failed upgrade: a
// paused step with upgrade_status.failed "true", retried once.
func TestGoldenFailedUpgradeStatus(t *testing.T) {
	ts := newTestServer(t)
	v := ts.backend.tasks["T-1"]
	evs := append(slices.Clone(v.Events),
		upgrade.TaskEvent{Time: v.Task.Created.Add(time.Minute), Level: upgrade.LevelWarning, Reason: "TaskFailed", Source: "ACK", Message: "node cn-hangzhou.10.0.0.2 did not become Ready"},
		upgrade.TaskEvent{Time: v.Task.Created.Add(2 * time.Minute), Level: upgrade.LevelNormal, Reason: upgrade.ReasonTaskRetried, Source: "ACK", Message: "task T-1 retried on request"},
		upgrade.TaskEvent{Time: v.Task.Updated, Level: upgrade.LevelWarning, Reason: "TaskFailed", Source: "ACK", Message: v.Task.ErrorMessage})
	task := v.Task
	task.Stage, task.Plan = upgrade.StageNodePools, json.RawMessage(`{"phase":"nodes","total":2,"upgraded":1}`)
	ts.backend.status["c1"] = upgrade.StatusOf(&task, evs)
	w := ts.do("GET", "/api/v2/clusters/c1/upgrade/status", "")
	checkGolden(t, "GetUpgradeStatus.failed.json", w.Body.Bytes())
	w = ts.doWith("GET", "/api/v2/clusters/c1/upgrade/status", "", http.Header{"Authorization": {testAccount}})
	checkGolden(t, filepath.Join("xml", "GetUpgradeStatus.failed.xml"), w.Body.Bytes())
}

func TestGoldenErrorBodies(t *testing.T) {
	cases := []struct {
		name   string
		target string
		header http.Header
	}{
		{"ErrorClusterNotFound.json", "/clusters/c404", http.Header{"Accept": {"application/json"}, "Authorization": {testAccount}}},
		{"ErrorClusterNotFound.xml", "/clusters/c404", http.Header{"Authorization": {testAccount}}},
		{"InvalidAccessKeyId.NotFound.json", "/clusters/c1", http.Header{"Accept": {"application/json"}, "Authorization": {"unknown-key"}}},
		{"InvalidAccessKeyId.NotFound.xml", "/clusters/c1", http.Header{"Authorization": {"unknown-key"}}},
		{"InvalidAction.NotFound.json", "/no/such/api", http.Header{"Accept": {"application/json"}}},
	}
	for _, tc := range cases {
		ts := newTestServer(t)
		w := ts.doWith("GET", "http://cs.cn-hangzhou.aliyuncs.com"+tc.target, "", tc.header)
		checkGolden(t, filepath.Join("errors", tc.name), w.Body.Bytes())
	}
}
