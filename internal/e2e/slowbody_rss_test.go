package e2e

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	cs "github.com/alibabacloud-go/cs-20151215/v7/client"
	openapiutil "github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	"github.com/alibabacloud-go/tea/dara"
)

// rssKiB reads a process's resident set size.
func rssKiB(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.Fields(rest)[0])
			return n
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

// heapInuseMiB reads the server's go_memstats_heap_inuse_bytes from
// /metrics: what the heap holds, whatever the runtime has not yet returned
// to the OS.
func heapInuseMiB(t *testing.T, addr string) int {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "go_memstats_heap_inuse_bytes "); ok {
			f, _ := strconv.ParseFloat(rest, 64)
			return int(f) >> 20
		}
	}
	return -1
}

// TestSlowBodyRSS is a measurement for BENCHMARKS.md, not a check: it
// runs only with ACKUP_SLOWBODY_RSS=1. It starts `ackup server`, opens
// ACKUP_SLOWBODY_CONNS (default 1,500) loopback connections that each send
// correctly signed CreateCluster headers declaring a 1 MiB body (its real
// digest in x-acs-content-sha256) and then trickle one byte every 5 s,
// holds them ACKUP_SLOWBODY_HOLD (default 60 s), closes them, and reports
// the server's RSS before, at its highest during, and after.
func TestSlowBodyRSS(t *testing.T) {
	if os.Getenv("ACKUP_SLOWBODY_RSS") == "" {
		t.Skip("a measurement; set ACKUP_SLOWBODY_RSS=1 to run it")
	}
	conns := 1500
	if v, err := strconv.Atoi(os.Getenv("ACKUP_SLOWBODY_CONNS")); err == nil && v > 0 {
		conns = v
	}
	hold := 60 * time.Second
	if v, err := time.ParseDuration(os.Getenv("ACKUP_SLOWBODY_HOLD")); err == nil && v > 0 {
		hold = v
	}
	p := startProc(t, filepath.Join(t.TempDir(), "ackup.db"))
	pid := p.cmd.Process.Pid

	// A real 1 MiB body, whose digest every request claims.
	body := bytes.Repeat([]byte(" "), 1<<20)
	copy(body, `{"name":"slow","region_id":"cn-hangzhou"}`)
	sum := sha256.Sum256(body)
	digest := hex.EncodeToString(sum[:])
	heads := make([][]byte, conns)
	for i := range heads {
		cp := &capture{}
		c, err := cs.NewClient(&openapiutil.Config{AccessKeyId: dara.String(testKeyID), AccessKeySecret: dara.String(testKeySecret),
			Endpoint: dara.String(p.addr), Protocol: dara.String("http"), HttpClient: cp})
		if err != nil {
			t.Fatal(err)
		}
		// The SDK signs what it is given; the digest header is replaced by
		// the 1 MiB body's through per-call headers, which it signs.
		_, _ = c.CreateClusterWithOptions(&cs.CreateClusterRequest{Name: dara.String("slow")},
			map[string]*string{"x-acs-content-sha256": dara.String(digest)}, &dara.RuntimeOptions{})
		var h bytes.Buffer
		fmt.Fprintf(&h, "POST %s HTTP/1.1\r\n", cp.req.URL.RequestURI())
		hdr := cp.req.Header.Clone()
		hdr.Del("Content-Length")
		if hdr.Get("Host") == "" {
			hdr.Set("Host", cp.req.Host)
		}
		_ = hdr.Write(&h)
		fmt.Fprintf(&h, "Content-Length: %d\r\n\r\n", len(body))
		heads[i] = h.Bytes()
	}

	before, heapBefore := rssKiB(t, pid), heapInuseMiB(t, p.addr)
	var (
		peak      atomic.Int64
		answered  sync.Map // status -> *atomic.Int64
		wg        sync.WaitGroup
		stop      = make(chan struct{})
		openConns []net.Conn
	)
	count := func(status int) {
		v, _ := answered.LoadOrStore(status, new(atomic.Int64))
		v.(*atomic.Int64).Add(1)
	}
	for i := range conns {
		c, err := net.Dial("tcp", p.addr)
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		openConns = append(openConns, c)
		if _, err := c.Write(heads[i]); err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		wg.Go(func() { // the answer, whenever it comes
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				count(0)
				return
			}
			resp.Body.Close()
			count(resp.StatusCode)
		})
		wg.Go(func() { // one byte every 5 s
			tick := time.NewTicker(5 * time.Second)
			defer tick.Stop()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				case <-tick.C:
					if _, err := c.Write(body[n : n+1]); err != nil {
						return
					}
				}
			}
		})
	}
	sample := time.NewTicker(500 * time.Millisecond)
	end := time.After(hold)
sampling:
	for {
		select {
		case <-sample.C:
			peak.Store(max(peak.Load(), int64(rssKiB(t, pid))))
		case <-end:
			break sampling
		}
	}
	sample.Stop()
	heapDuring := heapInuseMiB(t, p.addr)
	close(stop)
	for _, c := range openConns {
		c.Close()
	}
	wg.Wait()
	// After: the lowest RSS seen within ACKUP_SLOWBODY_SETTLE (default
	// 30 s) of closing; the Go runtime returns freed memory to the OS
	// gradually.
	settleFor := 30 * time.Second
	if v, err := time.ParseDuration(os.Getenv("ACKUP_SLOWBODY_SETTLE")); err == nil && v > 0 {
		settleFor = v
	}
	after := rssKiB(t, pid)
	settle := time.NewTicker(time.Second)
	for deadline := time.Now().Add(settleFor); time.Now().Before(deadline); <-settle.C {
		after = min(after, rssKiB(t, pid))
	}
	settle.Stop()
	var statuses []string
	answered.Range(func(k, v any) bool {
		statuses = append(statuses, fmt.Sprintf("%d: %d", k, v.(*atomic.Int64).Load()))
		return true
	})
	t.Logf("%d slow-body connections held %v: server RSS before %d MiB, peak during %d MiB, lowest within %v after %d MiB; "+
		"heap in use before %d MiB, at the end of the hold %d MiB, after %d MiB; answers %v",
		conns, hold, before>>10, peak.Load()>>10, settleFor, after>>10, heapBefore, heapDuring, heapInuseMiB(t, p.addr), statuses)
}
