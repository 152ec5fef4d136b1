package e2e

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cs "github.com/alibabacloud-go/cs-20151215/v7/client"
	"github.com/alibabacloud-go/tea/dara"

	"github.com/ackup/ackup/internal/server"
)

// clusterCount returns how many clusters the default account has.
func clusterCount(t *testing.T, c *cs.Client) int {
	t.Helper()
	resp, err := c.DescribeClustersV1(&cs.DescribeClustersV1Request{})
	if err != nil {
		t.Fatal(err)
	}
	return int(dara.Int32Value(resp.Body.PageInfo.TotalCount))
}

// TestReplayAfterRestartIsRefused is the attack on a SQLite server: a
// signed CreateCluster captured on the wire, sent once, then sent again
// after the server was killed (SIGKILL, no clean shutdown) and restarted on
// the same database. The replay must be refused and create nothing; it is
// accepted when nonces live only in memory.
func TestReplayAfterRestartIsRefused(t *testing.T) {
	db := filepath.Join(t.TempDir(), "ackup.db")
	p := startProc(t, db)
	for name, alg := range map[string]string{"acs3": "", "v2": "v2"} {
		t.Run(name, func(t *testing.T) {
			req := captureSigned(t, alg, func(c *cs.Client) {
				_, _ = c.CreateCluster(&cs.CreateClusterRequest{Name: dara.String("replayed-" + name), RegionId: dara.String("cn-hangzhou"),
					KubernetesVersion: dara.String("1.32.7-aliyun.1"), NumOfNodes: dara.Int64(1)})
			})
			before := clusterCount(t, p.client())
			if status, code := req.replay(t, p.addr); status != http.StatusOK {
				t.Fatalf("first use: %d %s, want 200", status, code)
			}
			p.kill()
			p.start()
			if status, code := req.replay(t, p.addr); status != http.StatusBadRequest || code != "SignatureNonceUsed" {
				t.Fatalf("replay after the restart: %d %s, want 400 SignatureNonceUsed", status, code)
			}
			if n := clusterCount(t, p.client()); n != before+1 {
				t.Fatalf("%d clusters after the replay, want %d", n, before+1)
			}
		})
	}
}

// signROANoNonce signs req the way aliyun-cli's stored version does, with
// no x-acs-signature-nonce and, here, no Content-MD5: the signature then
// covers the headers and the resource only, not the body.
func signROANoNonce(req *http.Request) {
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	req.Header["x-acs-version"] = []string{"2015-12-15"}
	req.Header["x-acs-signature-method"] = []string{"HMAC-SHA1"}
	req.Header["x-acs-signature-version"] = []string{"1.0"}
	sts := req.Method + "\napplication/json\n\napplication/json\n" + req.Header.Get("Date") + "\n" +
		"x-acs-signature-method:HMAC-SHA1\nx-acs-signature-version:1.0\nx-acs-version:2015-12-15\n" + req.URL.Path
	mac := hmac.New(sha1.New, []byte(testKeySecret))
	mac.Write([]byte(sts))
	req.Header.Set("Authorization", "acs "+testKeyID+":"+base64.StdEncoding.EncodeToString(mac.Sum(nil)))
}

// TestLegacyWriteReplayWithAnotherBody is the attack on legacy writes
// without a nonce: a captured signature sent again with another body. The
// first request creates its cluster; the second, same signature and an
// attacker's body, is refused with SignatureNonceUsed and creates nothing.
func TestLegacyWriteReplayWithAnotherBody(t *testing.T) {
	e := start(t)
	body := func(name string) string {
		return `{"name":"` + name + `","region_id":"cn-hangzhou","kubernetes_version":"1.32.7-aliyun.1","num_of_nodes":1}`
	}
	req, err := http.NewRequest("POST", "http://"+e.addr+"/clusters", strings.NewReader(body("mine")))
	if err != nil {
		t.Fatal(err)
	}
	signROANoNonce(req)
	if status, _, b := do(t, withBody(req, body("mine"))); status != http.StatusOK {
		t.Fatalf("first use: %d %s", status, b)
	}
	status, _, b := do(t, withBody(req, body("attackers-cluster")))
	if status != http.StatusBadRequest || !bytes.Contains(b, []byte(`"SignatureNonceUsed"`)) {
		t.Fatalf("same signature, other body: %d %s, want 400 SignatureNonceUsed", status, b)
	}
	if n := clusterCount(t, e.acs3); n != 1 {
		t.Fatalf("%d clusters, want 1", n)
	}
}

// withBody returns a copy of req carrying body.
func withBody(req *http.Request, body string) *http.Request {
	r := req.Clone(req.Context())
	r.Body = nopCloser{strings.NewReader(body)}
	r.ContentLength = int64(len(body))
	return r
}

type nopCloser struct{ *strings.Reader }

func (nopCloser) Close() error { return nil }

// TestRequireContentMD5 turns on --require-content-md5: a legacy-signed
// write with a body and no Content-MD5 (the SDK's v2 path sends none) is
// refused with IncompleteSignature and creates nothing, while ACS3 writes
// and legacy reads go through.
func TestRequireContentMD5(t *testing.T) {
	e := start(t, func(c *server.Config) { c.RequireContentMD5 = true })
	_, err := e.v2.CreateCluster(&cs.CreateClusterRequest{Name: dara.String("no-md5"), RegionId: dara.String("cn-hangzhou"),
		KubernetesVersion: dara.String("1.32.7-aliyun.1"), NumOfNodes: dara.Int64(1)})
	sdkErr(t, err, "IncompleteSignature", http.StatusBadRequest)
	if n := clusterCount(t, e.v2); n != 0 {
		t.Fatalf("%d clusters after the refused write, want 0", n)
	}
	if _, err := e.acs3.CreateCluster(&cs.CreateClusterRequest{Name: dara.String("acs3"), RegionId: dara.String("cn-hangzhou"),
		KubernetesVersion: dara.String("1.32.7-aliyun.1"), NumOfNodes: dara.Int64(1)}); err != nil {
		t.Fatalf("ACS3 write: %v", err)
	}
}

// TestUnsignedBodyIsNotWaitedFor: a request without a signature that
// declares a 1 MiB body and sends none is answered at once from its
// headers, and its connection closed; the server neither buffers nor waits
// for the body. Before, it grew a 1 MiB buffer and waited for the body
// without any deadline.
func TestUnsignedBodyIsNotWaitedFor(t *testing.T) {
	e := start(t)
	c, err := net.Dial("tcp", e.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "POST /clusters HTTP/1.1\r\nHost: %s\r\nAccept: application/json\r\nContent-Length: %d\r\n\r\n", e.addr, 1<<20)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer without the body: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !resp.Close {
		t.Fatalf("answered %d (close %v), want 400 and the connection closed", resp.StatusCode, resp.Close)
	}
}

// TestSlowSignedBodyIsCut: a correctly signed request whose body stops
// arriving is answered once the body read timeout passes.
func TestSlowSignedBodyIsCut(t *testing.T) {
	e := start(t, func(c *server.Config) { c.BodyReadTimeout = 500 * time.Millisecond })
	req := e.signed(t, func(c *cs.Client) {
		_, _ = c.CreateCluster(&cs.CreateClusterRequest{Name: dara.String("slow"), RegionId: dara.String("cn-hangzhou"),
			KubernetesVersion: dara.String("1.32.7-aliyun.1"), NumOfNodes: dara.Int64(1)})
	})
	c, err := net.Dial("tcp", e.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var head bytes.Buffer
	fmt.Fprintf(&head, "POST %s HTTP/1.1\r\n", req.URL.RequestURI())
	hdr := req.Header.Clone()
	hdr.Del("Content-Length")
	if hdr.Get("Host") == "" {
		hdr.Set("Host", req.Host)
	}
	_ = hdr.Write(&head)
	full, _ := readAll(req)
	fmt.Fprintf(&head, "Content-Length: %d\r\n\r\n", len(full))
	head.Write(full[:len(full)/2]) // half the body, then nothing
	if _, err := c.Write(head.Bytes()); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	if took := time.Since(start); resp.StatusCode != http.StatusBadRequest || !bytes.Contains(b.Bytes(), []byte("body read timeout")) ||
		took < 400*time.Millisecond || took > 5*time.Second {
		t.Fatalf("answered %d %s after %v, want 400 at the 500 ms body read timeout", resp.StatusCode, b.Bytes(), took)
	}
	if n := clusterCount(t, e.acs3); n != 0 {
		t.Fatalf("%d clusters, want 0", n)
	}
}

func readAll(req *http.Request) ([]byte, error) {
	var b bytes.Buffer
	_, err := b.ReadFrom(req.Body)
	return b.Bytes(), err
}
