package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/ackup/ackup/internal/service"
	"github.com/ackup/ackup/internal/upgrade"
)

// Every rejected request names the offending field and says what is
// allowed.
func TestRequestErrorsNameTheField(t *testing.T) {
	t.Parallel()
	cases := []struct {
		method, target, body string
		code, message        string
	}{
		// bodies
		{"POST", "/clusters", `{"name":`, "InvalidParameter", "not valid JSON"},
		{"POST", "/clusters", `{"name":"a"} {}`, "InvalidParameter", "unexpected data after"},
		{"POST", "/clusters", `[]`, "InvalidParameter", "must be a JSON object, got an array"},
		{"POST", "/clusters", `{"region_id":"cn-hangzhou"}`, "MissingParameter", "name is required"},
		{"POST", "/clusters", `{"name":"demo"}`, "MissingParameter", "region_id is required"},
		{"POST", "/clusters", `{"name":"-demo","region_id":"r"}`, "InvalidParameter", `name "-demo" is not allowed`},
		{"POST", "/clusters", `{"name":"` + strings.Repeat("a", 64) + `","region_id":"r"}`, "InvalidParameter", "1 to 63"},
		{"POST", "/clusters", `{"name":"demo","region_id":"r","cluster_type":"Ask"}`, "InvalidParameter", `cluster_type "Ask" is not allowed; allowed values: Kubernetes, ManagedKubernetes, ExternalKubernetes`},
		{"POST", "/clusters", `{"name":"demo","region_id":"r","num_of_nodes":101}`, "InvalidParameter", "num_of_nodes must be between 0 and 100, got 101"},
		{"POST", "/clusters", `{"name":"demo","region_id":"r","deletion_protection":"maybe"}`, "InvalidParameter", `deletion_protection must be a boolean, got the string "maybe"`},
		{"POST", "/clusters", `{"name":"demo","region_id":"r","vswitch_ids":"vsw-1"}`, "InvalidParameter", "vswitch_ids must be an array of strings"},
		{"POST", "/clusters", `{"name":"demo","region_id":"r","container_cidr":"10.0.0.0"}`, "InvalidParameter", "container_cidr"},
		{"POST", "/clusters", `{"name":"demo","region_id":"r","tags":[{"value":"v"}]}`, "MissingParameter", "tags[0].key is required"},
		{"POST", "/clusters", `{"name":"demo","region_id":"r","nodepools":[{"scaling_group":{"desired_size":"abc"}}]}`, "InvalidParameter", `nodepools[0].scaling_group.desired_size must be an integer, got the string "abc"`},
		{"POST", "/clusters", `{"name":"demo","region_id":"r","nodepools":[{"nodepool_info":{"name":"a"}},{"scaling_group":{}}]}`, "MissingParameter", "nodepools[1].nodepool_info.name is required"},
		{"POST", "/clusters", `{"name":"demo","region_id":"r","nodepools":[{"nodepool_info":{"name":"a"},"scaling_group":{"instance_types":[1,{}]}}]}`, "InvalidParameter", "nodepools[0].scaling_group.instance_types[1] must be a string, got an object"},
		{"POST", "/api/v2/clusters/c1/upgrade", `{}`, "MissingParameter", "next_version is required"},
		{"POST", "/api/v2/clusters/c1/upgrade", `{"next_version":"1.32.7-aliyun.1","master_only":"yes"}`, "InvalidParameter", "master_only must be a boolean"},
		{"POST", "/api/v2/clusters/c1/upgrade", `{"next_version":"1.32.7-aliyun.1","rolling_policy":{"max_parallelism":-1}}`, "InvalidParameter", "rolling_policy.max_parallelism must be between 1 and 100, got -1"},
		{"POST", "/api/v2/clusters/c1/upgrade", `{"next_version":"1.32.7-aliyun.1","rolling_policy":{"max_parallelism":0}}`, "InvalidParameter", "rolling_policy.max_parallelism must be between 1 and 100, got 0"},
		{"POST", "/api/v2/clusters/c1/upgrade", `{"next_version":"1.32.7-aliyun.1","component_name":"etcd"}`, "InvalidParameter", `component_name "etcd" is not allowed`},
		{"POST", "/api/v2/clusters/c1/upgrade", `{"next_version":["1.32"]}`, "InvalidParameter", "next_version must be a string, got an array"},
		{"POST", "/clusters/c1/nodepools/np1/upgrade", `{"rolling_policy":{"batch_interval":3}}`, "InvalidParameter", "rolling_policy.batch_interval must be 0 (no wait) or between 5 and 120 minutes, got 3"},
		{"POST", "/clusters/c1/nodepools/np1/upgrade", `{"rolling_policy":{"max_parallelism":11}}`, "InvalidParameter", "rolling_policy.max_parallelism must be between 1 and 10, got 11"},
		{"POST", "/clusters/c1/nodepools/np1/upgrade", `{"rolling_policy":{"max_parallelism":0}}`, "InvalidParameter", "rolling_policy.max_parallelism must be between 1 and 10, got 0"},
		{"POST", "/clusters/c1/nodepools/np1/upgrade", `{"rolling_policy":{"max_parallelism":99999999999}}`, "InvalidParameter", "rolling_policy.max_parallelism must be between -2147483648 and 2147483647"},
		{"POST", "/clusters/c1/nodepools/np1/upgrade", `{"ignore_warning_check":"perhaps"}`, "InvalidParameter", `ignore_warning_check must be a boolean, got the string "perhaps"`},
		{"POST", "/clusters/c1/nodepools/np1/upgrade", `{"rolling_policy":{"batch_interval":10,"pause_policy":"FirstBatch"}}`, "InvalidParameter", "rolling_policy.batch_interval is only allowed with rolling_policy.pause_policy NotPause"},
		{"POST", "/clusters/c1/nodepools/np1/upgrade", `{"rolling_policy":{"pause_policy":"Sometimes"}}`, "InvalidParameter", `rolling_policy.pause_policy "Sometimes" is not allowed; allowed values: FirstBatch, EveryBatch, NotPause`},
		{"POST", "/clusters/c1/nodepools/np1/upgrade", `{"rolling_policy":"fast"}`, "InvalidParameter", "rolling_policy must be an object"},
		{"POST", "/clusters/c1/nodepools/np1/upgrade", `{"node_names":"n1"}`, "InvalidParameter", "node_names must be an array of strings"},
		{"POST", "/clusters/c1/nodepools/np1/upgrade", `{"use_replace":2}`, "InvalidParameter", "use_replace must be a boolean, got the number 2"},
		{"POST", "/clusters/c1/checks", `{}`, "MissingParameter", "type is required"},
		{"POST", "/clusters/c1/checks", `{"type":"ClusterMigrate"}`, "InvalidParameter", "ClusterMigrate is not supported"},
		{"POST", "/clusters/c1/checks", `{"type":"Other"}`, "InvalidParameter", `type "Other" is not allowed`},
		{"POST", "/clusters/c1/checks", `{"type":"NodePoolUpgrade"}`, "MissingParameter", "target is required when type is NodePoolUpgrade"},
		{"POST", "/clusters/c1/checks", `{"type":"ClusterUpgrade","options":{"a":{}}}`, "InvalidParameter", "options.a must be a string, got an object"},
		// query and path
		{"GET", "/api/v1/metadata/versions?ClusterType=ManagedKubernetes", "", "MissingParameter", "Region is required"},
		{"GET", "/api/v1/metadata/versions?Region=r", "", "MissingParameter", "ClusterType is required"},
		{"GET", "/api/v1/metadata/versions?Region=r&ClusterType=Ask", "", "InvalidParameter", `ClusterType "Ask" is not allowed`},
		{"GET", "/api/v1/metadata/versions?Region=r&ClusterType=Kubernetes&Mode=all", "", "InvalidParameter", `Mode "all" is not allowed; allowed values: supported, creatable`},
		{"GET", "/api/v1/metadata/versions?Region=r&ClusterType=Kubernetes&QueryUpgradableVersion=maybe", "", "InvalidParameter", `QueryUpgradableVersion must be true or false, got "maybe"`},
		{"GET", "/api/v1/clusters?page_size=0", "", "InvalidParameter", "page_size must be an integer from 1 to 100, got 0"},
		{"GET", "/api/v1/clusters?page_size=101", "", "InvalidParameter", "page_size must be an integer from 1 to 100, got 101"},
		{"GET", "/api/v1/clusters?page_number=x", "", "InvalidParameter", `page_number must be an integer from 1 to 2147483647, got "x"`},
		{"GET", "/clusters/c1/tasks?page_size=-5", "", "InvalidParameter", "page_size must be an integer from 1 to 100, got -5"},
		{"GET", "/clusters/c1/nodes?pageSize=1000", "", "InvalidParameter", "pageSize must be an integer from 1 to 100, got 1000"},
		{"GET", "/clusters/c1/nodes?state=gone", "", "InvalidParameter", `state "gone" is not allowed; allowed values: all, running, removing, initial, failed`},
		{"GET", "/clusters/c1/tasks?page_size=%zz", "", "InvalidParameter", "the query string is malformed"},
		{"DELETE", "/clusters/c1?retain_all_resources=perhaps", "", "InvalidParameter", "retain_all_resources must be true or false"},
		{"DELETE", "/clusters/c1?retain_resources=sg-1", "", "InvalidParameter", "retain_resources must be a JSON array"},
		{"DELETE", "/clusters/c1?delete_options=%5B%7B%22delete_mode%22%3A%22keep%22%7D%5D", "", "InvalidParameter", `delete_options[0].delete_mode "keep" is not allowed`},
		{"DELETE", "/clusters/c1", `{"retain_all_resources":`, "InvalidParameter", "not valid JSON"},
		{"DELETE", "/clusters/c1", `["c1"]`, "InvalidParameter", "must be a JSON object"},
		{"GET", "/tasks/%20", "", "ErrorTaskNotFound", "task   not found"},
	}
	for _, tc := range cases {
		ts := newTestServer(t)
		w := ts.do(tc.method, tc.target, tc.body)
		if tc.code != "ErrorTaskNotFound" && ts.backend.lastOp != "" {
			t.Errorf("%s %s %s: refused, but the backend was called (%s)", tc.method, tc.target, tc.body, ts.backend.lastOp)
		}
		m := decodeMap(t, w)
		if m["code"] != tc.code || !strings.Contains(m["message"].(string), tc.message) {
			t.Errorf("%s %s %s:\n got %d %v: %v\nwant %s containing %q", tc.method, tc.target, tc.body, w.Code, m["code"], m["message"], tc.code, tc.message)
		}
		if w.Code != 400 && tc.code != "ErrorTaskNotFound" {
			t.Errorf("%s %s: status %d", tc.method, tc.target, w.Code)
		}
	}
}

// The SDK's converter is fuzzy, so numbers may come as strings and
// strings as numbers; unknown fields are ignored.
func TestBodiesAreReadAsTolerantlyAsTheSDK(t *testing.T) {
	t.Parallel()
	p, err := decodeCreateCluster([]byte(`{"name":"demo","region_id":"cn-hangzhou","num_of_nodes":"3","deletion_protection":"true",
		"vswitch_ids":["vsw-1"],"unknown":{"x":[1]},"tags":[{"key":"k","value":7}],
		"nodepools":[{"nodepool_info":{"name":"a"},"count":2},{"nodepool_info":{"name":"b"},"scaling_group":{"desired_size":4.0,"vswitch_ids":["vsw-2"]}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	want := service.CreateClusterParams{Name: "demo", RegionID: "cn-hangzhou", NumOfNodes: 3, DeletionProtect: true,
		VSwitchIDs: []string{"vsw-1"}, Tags: []upgrade.Tag{{Key: "k", Value: "7"}},
		NodePools: []service.NodePoolSpec{{Name: "a", DesiredSize: 2, VSwitchIDs: []string{"vsw-1"}}, {Name: "b", DesiredSize: 4, VSwitchIDs: []string{"vsw-2"}}}}
	if jsonOf(t, p) != jsonOf(t, want) {
		t.Errorf("got  %s\nwant %s", jsonOf(t, p), jsonOf(t, want))
	}
	up, err := decodeUpgradeCluster([]byte(`{"version":"1.32.7-aliyun.1","component_name":"k8s","rolling_policy":{"max_parallelism":"2"},"master_only":null}`))
	if err != nil || jsonOf(t, up) != jsonOf(t, service.UpgradeParams{NextVersion: "1.32.7-aliyun.1", MaxParallelism: new(2)}) {
		t.Errorf("%+v %v", up, err)
	}
	up, err = decodeUpgradeCluster([]byte(`{"version":"1.31.9-aliyun.1","next_version":"1.32.7-aliyun.1"}`))
	if err != nil || up.NextVersion != "1.32.7-aliyun.1" {
		t.Errorf("next_version does not win over version: %+v %v", up, err)
	}
	np, err := decodeUpgradeNodePool(nil)
	if err != nil || jsonOf(t, np) != jsonOf(t, service.NodePoolUpgradeParams{}) {
		t.Errorf("empty body: %+v %v", np, err)
	}
}

func TestQueryParametersReachTheBackend(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	ts.do("GET", "/api/v1/clusters?cluster_id=c1&cluster_spec=ack.pro.small&cluster_type=ManagedKubernetes&name=my+cluster%2A~%2Fx&page_number=3&page_size=20&profile=Default&region_id=cn-hangzhou", "")
	want := `{"AccountID":"","ClusterID":"c1","Name":"my cluster*~/x","ClusterType":"ManagedKubernetes","ClusterSpec":"ack.pro.small","Profile":"Default","RegionID":"cn-hangzhou","Offset":40,"Limit":20}`
	if got := jsonOf(t, ts.backend.last); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	ts.do("GET", "/clusters/c1/nodes?instanceIds=i-1%2C+i-2%2C&nodepool_id=np1&pageNumber=2&pageSize=5", "")
	want = `{"ClusterID":"c1","NodePoolID":"np1","InstanceIDs":["i-1","i-2"],"Offset":5,"Limit":5}`
	if got := jsonOf(t, ts.backend.last); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestNodeStateFilterPagesTheMatches(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	m := decodeMap(t, ts.do("GET", "/clusters/c1/nodes?state=initial&pageSize=1", ""))
	nodes := m["nodes"].([]any)
	if len(nodes) != 1 || nodes[0].(map[string]any)["instance_id"] != "i-2" {
		t.Errorf("nodes %v", nodes)
	}
	if page := m["page"].(map[string]any); page["total_count"] != float64(1) || page["page_size"] != float64(1) {
		t.Errorf("page %v", page)
	}
	m = decodeMap(t, ts.do("GET", "/clusters/c1/nodes?state=running&pageNumber=2&pageSize=1", ""))
	if nodes := m["nodes"].([]any); len(nodes) != 0 {
		t.Errorf("page 2 of 1 match: %v", nodes)
	}
}

func TestVersionMetadataFilters(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	count := func(query string) int {
		w := ts.doWith("GET", "/api/v1/metadata/versions?Region=r&ClusterType=Kubernetes"+query, "", http.Header{"Accept": {"*/*"}, "Authorization": {testAccount}})
		if w.Code != 200 {
			t.Fatalf("%s: %d %s", query, w.Code, w.Body)
		}
		var arr []map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &arr); err != nil {
			t.Fatal(err)
		}
		for _, v := range arr {
			if _, ok := v["upgradable_versions"]; ok != strings.Contains(query, "QueryUpgradableVersion=true") {
				t.Errorf("%s: upgradable_versions present=%v", query, ok)
			}
		}
		return len(arr)
	}
	all := len(upgrade.Catalogue())
	if n := count("&Mode=supported"); n != all {
		t.Errorf("supported: %d versions, want %d", n, all)
	}
	if n := count("&runtime=docker"); n != 0 {
		t.Errorf("docker: %d versions", n)
	}
	if n := count("&KubernetesVersion=9.9.9"); n != 0 {
		t.Errorf("unknown version: %d", n)
	}
	if n := count("&KubernetesVersion=1.30.1-aliyun.1&QueryUpgradableVersion=true"); n != 1 {
		t.Errorf("one version: %d", n)
	}
	if n := count("&QueryUpgradableVersion=true&KubernetesVersion=1.34.1-aliyun.1"); n != 1 {
		t.Errorf("newest version: %d", n)
	}
}

func FuzzDecodeCreateCluster(f *testing.F) {
	for _, tc := range opCases {
		if tc.op == "CreateCluster" {
			f.Add([]byte(tc.body))
		}
	}
	f.Add([]byte(`{"name":"demo","region_id":"r","num_of_nodes":"1e2","tags":[{"key":"k"}],"nodepools":[{"count":"3"}]}`))
	f.Add([]byte(`{"nodepools":[null,{"nodepool_info":[]}],"vswitch_ids":[null]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		_, err := decodeCreateCluster(body)
		checkDecodeError(t, err)
	})
}

func FuzzDecodeUpgradeNodePool(f *testing.F) {
	for _, tc := range opCases {
		if tc.op == "UpgradeClusterNodepool" {
			f.Add([]byte(tc.body))
		}
	}
	f.Add([]byte(`{"rolling_policy":{"batch_interval":"5","pause_policy":"NotPause"},"node_names":[1,"a"]}`))
	f.Add([]byte(`{"rolling_policy":{"max_parallelism":9223372036854775808}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		_, err := decodeUpgradeNodePool(body)
		checkDecodeError(t, err)
	})
}

// checkDecodeError requires a decoding failure to be a client error with a
// message.
func checkDecodeError(t *testing.T, err error) {
	if err == nil {
		return
	}
	ue, ok := upgrade.AsError(err)
	if !ok || (ue.Kind != upgrade.KindInvalid && ue.Kind != upgrade.KindMissing) || ue.Message == "" {
		t.Fatalf("decode error %T %v is not a client error", err, err)
	}
}
