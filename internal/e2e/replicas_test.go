package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	cs "github.com/alibabacloud-go/cs-20151215/v7/client"
	openapiutil "github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	"github.com/alibabacloud-go/tea/dara"

	"github.com/ackup/ackup/internal/upgrade"
)

// Replicas: several `ackup server` processes on one PostgreSQL schema,
// sharing one server key file. These tests always run on PostgreSQL,
// whatever ACKUP_E2E_STORE says.

// startReplicas starts n replicas on the database db, one after another (the
// first creates the shared key file), each with args added.
func startReplicas(t *testing.T, db string, n int, args ...string) []*proc {
	t.Helper()
	keyFile := filepath.Join(t.TempDir(), "ackup.key")
	procs := make([]*proc, n)
	for i := range procs {
		procs[i] = startProc(t, db, append([]string{"--key-file", keyFile}, args...)...)
	}
	return procs
}

// checkFences checks the provenance of a task's events as the database
// holds them, in Seq order: every event the engine wrote names its writer,
// the fencing tokens never go backwards, and one token belongs to one
// owner. A step written under a lease another replica had taken over would
// break one of these. It returns the owners that wrote, in order.
func checkFences(t *testing.T, taskID string, evs []upgrade.TaskEvent) []string {
	t.Helper()
	var (
		owners  []string
		last    int64
		fenceOf = map[int64]string{}
	)
	for _, e := range evs {
		if e.Owner == "" {
			// Written by a request (UpgradeStart, TaskPaused, ...).
			if e.Fence != 0 {
				t.Errorf("task %s event %d (%s): fence %d without an owner", taskID, e.Seq, e.Reason, e.Fence)
			}
			continue
		}
		if e.Fence < last {
			t.Errorf("task %s event %d (%s) by %s carries fence %d after fence %d was written: a stale write landed",
				taskID, e.Seq, e.Reason, e.Owner, e.Fence, last)
		}
		if o, ok := fenceOf[e.Fence]; ok && o != e.Owner {
			t.Errorf("task %s event %d (%s): fence %d written by both %s and %s", taskID, e.Seq, e.Reason, e.Fence, o, e.Owner)
		}
		fenceOf[e.Fence], last = e.Owner, max(last, e.Fence)
		if !slices.Contains(owners, e.Owner) {
			owners = append(owners, e.Owner)
		}
	}
	if len(owners) == 0 {
		t.Errorf("task %s: none of its %d events names the engine that wrote it", taskID, len(evs))
	}
	return owners
}

// capturedRequest is a signed request as an SDK sent it.
type capturedRequest struct {
	method, uri, host string
	header            http.Header
	body              []byte
}

// captureSigned runs call with an SDK client that sends to a recorder
// instead of a server, and returns the first request it signed.
func captureSigned(t *testing.T, alg string, call func(c *cs.Client)) capturedRequest {
	t.Helper()
	var (
		mu  sync.Mutex
		got []capturedRequest
	)
	rec := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, capturedRequest{method: r.Method, uri: r.URL.RequestURI(), host: r.Host, header: r.Header.Clone(), body: body})
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{}`)
	}))
	defer rec.Close()
	cfg := &openapiutil.Config{AccessKeyId: dara.String(testKeyID), AccessKeySecret: dara.String(testKeySecret),
		Endpoint: dara.String(strings.TrimPrefix(rec.URL, "http://")), Protocol: dara.String("http"),
		RegionId: dara.String("cn-hangzhou")}
	if alg != "" {
		cfg.SignatureAlgorithm = dara.String(alg)
	}
	c, err := cs.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	call(c) // the recorder's answer is not what the SDK expects; only the request matters
	mu.Lock()
	defer mu.Unlock()
	if len(got) == 0 {
		t.Fatal("the SDK sent no request")
	}
	return got[0]
}

// replay sends r byte for byte to addr, Host header included (it is
// signed), and returns the status and the error code of the answer.
func (r capturedRequest) replay(t *testing.T, addr string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(r.method, "http://"+addr+r.uri, bytes.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = r.header.Clone()
	req.Host = r.host
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("replay to %s: %v", addr, err)
	}
	defer resp.Body.Close()
	var body struct {
		Code string // the gateway shape of authentication failures
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		if err := json.Unmarshal(b, &body); err != nil {
			t.Fatalf("replay to %s: status %d, body %q", addr, resp.StatusCode, b)
		}
	}
	return resp.StatusCode, body.Code
}

// TestReplicaNonceReplay signs a request once and sends it to one replica,
// then the same bytes to another: the replay cache is shared, so the
// second is refused, with either signature.
func TestReplicaNonceReplay(t *testing.T) {
	rs := startReplicas(t, postgresSchema(t), 2)
	for name, alg := range map[string]string{"acs3": "", "v2": "v2"} {
		t.Run(name, func(t *testing.T) {
			req := captureSigned(t, alg, func(c *cs.Client) { _, _ = c.DescribeClustersV1(&cs.DescribeClustersV1Request{}) })
			if status, code := req.replay(t, rs[0].addr); status != http.StatusOK {
				t.Fatalf("first use on replica A: %d %s, want 200", status, code)
			}
			if status, code := req.replay(t, rs[1].addr); status != http.StatusBadRequest || code != "SignatureNonceUsed" {
				t.Fatalf("replay on replica B: %d %s, want 400 SignatureNonceUsed", status, code)
			}
			if status, code := req.replay(t, rs[0].addr); status != http.StatusBadRequest || code != "SignatureNonceUsed" {
				t.Fatalf("replay on replica A: %d %s, want 400 SignatureNonceUsed", status, code)
			}
		})
	}
}

// TestReplicaReadYourWrite pauses and resumes an upgrade through one
// replica and reads it through the other at once, without waiting: what one
// replica acknowledged, every replica shows.
func TestReplicaReadYourWrite(t *testing.T) {
	rs := startReplicas(t, postgresSchema(t), 2, "--sim-speed", "60")
	a, b := rs[0].client(), rs[1].client()
	resp, err := a.CreateCluster(&cs.CreateClusterRequest{Name: dara.String("ryw"), RegionId: dara.String("cn-hangzhou"),
		KubernetesVersion: dara.String("1.32.7-aliyun.1"), NumOfNodes: dara.Int64(2)})
	if err != nil {
		t.Fatal(err)
	}
	cluster := dara.StringValue(resp.Body.ClusterId)
	eventually(t, time.Minute, "cluster running", func() error {
		return wantClusterState(b, cluster, "running")
	})
	up, err := b.UpgradeCluster(dara.String(cluster), &cs.UpgradeClusterRequest{NextVersion: dara.String("1.33.3-aliyun.1")})
	if err != nil {
		t.Fatal(err)
	}
	task := dara.StringValue(up.Body.TaskId)
	state := func(c *cs.Client) string {
		t.Helper()
		info, err := c.DescribeTaskInfo(dara.String(task))
		if err != nil {
			t.Fatalf("DescribeTaskInfo: %v", err)
		}
		return dara.StringValue(info.Body.State)
	}
	// The control-plane step alone lasts 8 s at this speed, far longer
	// than these rounds, so the task is still running throughout.
	for i := range 5 {
		writer, reader := a, b
		if i%2 == 1 {
			writer, reader = b, a
		}
		if _, err := writer.PauseTask(dara.String(task)); err != nil {
			t.Fatalf("round %d: PauseTask: %v", i, err)
		}
		if s := state(reader); s != "paused" {
			t.Fatalf("round %d: the other replica reads %s right after PauseTask, want paused", i, s)
		}
		if _, err := reader.ResumeTask(dara.String(task)); err != nil {
			t.Fatalf("round %d: ResumeTask: %v", i, err)
		}
		if s := state(writer); s != "running" {
			t.Fatalf("round %d: the other replica reads %s right after ResumeTask, want running", i, s)
		}
	}
}

// wantClusterState returns nil if the cluster is in state, an error saying
// where it is otherwise.
func wantClusterState(c *cs.Client, cluster, state string) error {
	d, err := c.DescribeClusterDetail(dara.String(cluster))
	if err != nil {
		return err
	}
	if s := dara.StringValue(d.Body.State); s != state {
		return fmt.Errorf("cluster %s is %s, want %s", cluster, s, state)
	}
	return nil
}
