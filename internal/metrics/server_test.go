package metrics_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	cs "github.com/alibabacloud-go/cs-20151215/v7/client"
	openapiutil "github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	"github.com/alibabacloud-go/tea/dara"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/ackup/ackup/internal/metrics"
	"github.com/ackup/ackup/internal/server"
)

const (
	testKeyID  = "LTAImetricsTestKey01"
	testSecret = "metrics-test-secret-value"
)

// TestServerMetrics drives a real server with the official SDK, including
// a request signed with the wrong secret, scrapes /metrics over HTTP and
// parses it with the Prometheus text parser.
func TestServerMetrics(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, err := server.Open(ctx, server.Config{Addr: "127.0.0.1:0", DB: filepath.Join(t.TempDir(), "ackup.db"),
		SimSpeed: 1000, AccessKeyID: testKeyID, AccessKeySecret: testSecret,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			t.Error(err)
		}
	})
	c := sdkClient(t, srv.Addr(), testSecret)
	resp, err := c.CreateCluster(&cs.CreateClusterRequest{Name: dara.String("metrics"), RegionId: dara.String("cn-hangzhou"),
		ClusterType: dara.String("ManagedKubernetes"), KubernetesVersion: dara.String("1.32.7-aliyun.1"),
		Nodepools: []*cs.Nodepool{{NodepoolInfo: &cs.NodepoolNodepoolInfo{Name: dara.String("pool")},
			ScalingGroup: &cs.NodepoolScalingGroup{DesiredSize: dara.Int64(1), InstanceTypes: []*string{dara.String("ecs.g7.xlarge")},
				VswitchIds: []*string{dara.String("vsw-1")}}}}})
	if err != nil {
		t.Fatal(err)
	}
	id := resp.Body.ClusterId
	deadline := time.Now().Add(30 * time.Second)
	for {
		d, err := c.DescribeClusterDetail(id)
		if err != nil {
			t.Fatal(err)
		}
		if dara.StringValue(d.Body.State) == "running" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("cluster still %s", dara.StringValue(d.Body.State))
		}
		time.Sleep(20 * time.Millisecond)
	}
	for range 3 {
		if _, err := c.GetUpgradeStatus(id); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.GetUpgradeStatus(dara.String("c-missing")); err == nil {
		t.Fatal("GetUpgradeStatus of an unknown cluster succeeded")
	}
	if _, err := sdkClient(t, srv.Addr(), "wrong-secret").GetUpgradeStatus(id); err == nil {
		t.Fatal("a request signed with the wrong secret succeeded")
	}
	if _, err := c.UpgradeCluster(id, &cs.UpgradeClusterRequest{NextVersion: dara.String("1.33.3-aliyun.1")}); err != nil {
		t.Fatal(err)
	}

	fams := scrape(t, "http://"+srv.Addr()+"/metrics")
	want := []struct {
		family string
		labels map[string]string
		min    float64
	}{
		{metrics.NameRequests, map[string]string{"operation": "GetUpgradeStatus", "status": "200", "code": ""}, 3},
		{metrics.NameRequests, map[string]string{"operation": "GetUpgradeStatus", "status": "404", "code": "ErrorClusterNotFound"}, 1},
		{metrics.NameRequests, map[string]string{"operation": "GetUpgradeStatus", "status": "400", "code": "SignatureDoesNotMatch"}, 1},
		{metrics.NameRequests, map[string]string{"operation": "CreateCluster", "status": "200", "code": ""}, 1},
		{metrics.NameRequests, map[string]string{"operation": "UpgradeCluster", "status": "200", "code": ""}, 1},
		{metrics.NameDuration, map[string]string{"operation": "GetUpgradeStatus"}, 5},
		{metrics.NameAuthFailures, map[string]string{"reason": "SignatureDoesNotMatch"}, 1},
		{metrics.NameTasks, map[string]string{"type": "cluster_create", "state": "success"}, 1},
		{metrics.NameTasks, map[string]string{"type": "cluster_upgrade"}, 1},
		{metrics.NamePass, map[string]string{"type": "cluster_create", "result": "ok"}, 1},
		{metrics.NameQueueDepth, nil, 0},
		{"go_goroutines", nil, 1},
		{"process_resident_memory_bytes", nil, 1},
	}
	for _, w := range want {
		got, ok := value(fams[w.family], w.labels)
		if !ok {
			t.Errorf("%s%v: no such series", w.family, w.labels)
			continue
		}
		if got < w.min {
			t.Errorf("%s%v = %v, want at least %v", w.family, w.labels, got, w.min)
		}
	}
	if got, _ := value(fams[metrics.NameAuthFailures], map[string]string{"reason": "SignatureDoesNotMatch"}); got != 1 {
		t.Errorf("auth failures = %v, want exactly 1", got)
	}
	if got, _ := value(fams[metrics.NameRequests], map[string]string{"operation": "GetUpgradeStatus", "status": "200", "code": ""}); got != 3 {
		t.Errorf("successful status reads = %v, want exactly 3", got)
	}
	// /metrics itself, /healthz and the like are not API operations.
	for _, m := range fams[metrics.NameRequests].GetMetric() {
		if op := label(m, "operation"); op == "" {
			t.Errorf("a request without an operation was counted: %v", m)
		}
	}
}

// sdkClient is the official client for the server, signing with the
// default ACS3-HMAC-SHA256.
func sdkClient(t *testing.T, addr, secret string) *cs.Client {
	t.Helper()
	c, err := cs.NewClient(&openapiutil.Config{AccessKeyId: dara.String(testKeyID), AccessKeySecret: dara.String(secret),
		Endpoint: dara.String(addr), Protocol: dara.String("http"), RegionId: dara.String("cn-hangzhou")})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// scrape fetches url and parses it as the Prometheus text format.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/plain")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET /metrics: %s\n%s", resp.Status, b)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return fams
}

// value returns the value of the first series of fam whose labels include
// labels: a counter's or gauge's value, a histogram's sample count.
func value(fam *dto.MetricFamily, labels map[string]string) (float64, bool) {
	for _, m := range fam.GetMetric() {
		match := true
		for k, v := range labels {
			if label(m, k) != v {
				match = false
			}
		}
		if !match {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		case m.Untyped != nil:
			return m.Untyped.GetValue(), true
		}
	}
	return 0, false
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}
