package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	cs "github.com/alibabacloud-go/cs-20151215/v7/client"
	openapiutil "github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	"github.com/alibabacloud-go/tea/dara"
	"github.com/alibabacloud-go/tea/tea"

	"github.com/ackup/ackup/internal/server"
)

const (
	testKeyID     = "LTAItestE2EKey0001"
	testKeySecret = "e2e-secret-value-0001"
)

// env is one running server and SDK clients for it.
type env struct {
	t      *testing.T
	srv    *server.Server
	addr   string
	dbPath string
	// acs3 signs with the SDK's default ACS3-HMAC-SHA256; v2 with the
	// legacy ROA HMAC-SHA1.
	acs3, v2 *cs.Client
}

type envOpt func(*server.Config)

func withSpeed(speed float64) envOpt { return func(c *server.Config) { c.SimSpeed = speed } }

// start runs a server on a free loopback port with a database of its own:
// a temp SQLite file, or a fresh PostgreSQL schema when ACKUP_E2E_STORE is
// postgres (see testStore).
func start(t *testing.T, opts ...envOpt) *env {
	t.Helper()
	dir := t.TempDir()
	db, keyFile := testStore(t, dir)
	cfg := server.Config{Addr: "127.0.0.1:0", DB: db, KeyFile: keyFile, SimSpeed: 1000,
		AccessKeyID: testKeyID, AccessKeySecret: testKeySecret,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if testing.Verbose() {
		cfg.Logger = slog.Default()
	}
	for _, o := range opts {
		o(&cfg)
	}
	ctx := context.Background()
	srv, err := server.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("open server: %v", err)
	}
	if err := srv.Start(ctx); err != nil {
		t.Fatalf("start server: %v", err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	e := &env{t: t, srv: srv, addr: srv.Addr(), dbPath: cfg.DB}
	e.acs3 = e.client(testKeyID, testKeySecret, "")
	e.v2 = e.client(testKeyID, testKeySecret, "v2")
	return e
}

// client returns an SDK client for the server with the given credentials
// and signature algorithm ("" for the SDK default, "v2" for legacy ROA).
func (e *env) client(id, secret, alg string) *cs.Client {
	e.t.Helper()
	cfg := &openapiutil.Config{AccessKeyId: dara.String(id), AccessKeySecret: dara.String(secret),
		Endpoint: dara.String(e.addr), Protocol: dara.String("http"), RegionId: dara.String("cn-hangzhou")}
	if alg != "" {
		cfg.SignatureAlgorithm = dara.String(alg)
	}
	c, err := cs.NewClient(cfg)
	if err != nil {
		e.t.Fatalf("new SDK client: %v", err)
	}
	return c
}

// clients runs f once per signature algorithm.
func (e *env) clients(t *testing.T, f func(t *testing.T, c *cs.Client)) {
	t.Run("acs3", func(t *testing.T) { f(t, e.acs3) })
	t.Run("v2", func(t *testing.T) { f(t, e.v2) })
}

// sdkErr asserts err is an SDK error with code and HTTP status, and
// returns it.
func sdkErr(t *testing.T, err error, code string, status int) *tea.SDKError {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s/%d", code, status)
	}
	var se *tea.SDKError
	if !errors.As(err, &se) {
		t.Fatalf("error %T %v is not an SDK error", err, err)
	}
	if tea.StringValue(se.Code) != code || tea.IntValue(se.StatusCode) != status {
		t.Fatalf("error = %s/%d (%s), want %s/%d", tea.StringValue(se.Code), tea.IntValue(se.StatusCode), tea.StringValue(se.Message), code, status)
	}
	if !strings.Contains(tea.StringValue(se.Message), "request id: ") || strings.Contains(tea.StringValue(se.Message), "request id: <nil>") {
		t.Fatalf("error message %q carries no request id", tea.StringValue(se.Message))
	}
	return se
}

// eventually polls cond until it returns nil or the deadline passes.
func eventually(t *testing.T, d time.Duration, what string, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(d)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var err error
	for {
		if err = cond(); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not reached within %s: %v", what, d, err)
		}
		<-tick.C
	}
}

// createCluster creates a cluster with pools of the given sizes and waits
// until it is running.
func (e *env) createCluster(t *testing.T, c *cs.Client, version string, tags map[string]string, sizes ...int64) string {
	t.Helper()
	req := &cs.CreateClusterRequest{Name: dara.String("e2e-" + strings.ReplaceAll(t.Name(), "/", "-")[:min(40, len(t.Name()))]),
		RegionId: dara.String("cn-hangzhou"), ClusterType: dara.String("ManagedKubernetes"), KubernetesVersion: dara.String(version)}
	req.Name = dara.String(sanitize(dara.StringValue(req.Name)))
	for i, n := range sizes {
		req.Nodepools = append(req.Nodepools, &cs.Nodepool{
			NodepoolInfo: &cs.NodepoolNodepoolInfo{Name: dara.String(fmt.Sprintf("pool-%d", i+1))},
			ScalingGroup: &cs.NodepoolScalingGroup{DesiredSize: dara.Int64(n), InstanceTypes: []*string{dara.String("ecs.g7.xlarge")}, VswitchIds: []*string{dara.String("vsw-1")}},
		})
	}
	for k, v := range tags {
		req.Tags = append(req.Tags, &cs.Tag{Key: dara.String(k), Value: dara.String(v)})
	}
	resp, err := c.CreateCluster(req)
	if err != nil {
		t.Fatalf("CreateCluster: %v", err)
	}
	id := dara.StringValue(resp.Body.ClusterId)
	eventually(t, 20*time.Second, "cluster running", func() error {
		d, err := c.DescribeClusterDetail(dara.String(id))
		if err != nil {
			return err
		}
		if s := dara.StringValue(d.Body.State); s != "running" {
			return fmt.Errorf("state %s", s)
		}
		return nil
	})
	return id
}

func sanitize(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	return strings.TrimLeft(b.String(), "-")
}
