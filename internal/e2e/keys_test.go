package e2e

import (
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	cs "github.com/alibabacloud-go/cs-20151215/v7/client"
	openapiutil "github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	"github.com/alibabacloud-go/tea/dara"
	"github.com/alibabacloud-go/tea/tea"
)

// AccessKey administration with `ackup key` on the database of running
// servers: what it changes must be seen by every server within a second.

// keyCLI runs `ackup key args...` and returns its standard output.
func keyCLI(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command(ackupBinary(t), append([]string{"key"}, args...)...).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("ackup key %v: %v\n%s", args, err, ee.Stderr)
		}
		t.Fatalf("ackup key %v: %v", args, err)
	}
	return string(out)
}

var (
	createdID     = regexp.MustCompile(`ALIBABA_CLOUD_ACCESS_KEY_ID=(\S+)`)
	createdSecret = regexp.MustCompile(`ALIBABA_CLOUD_ACCESS_KEY_SECRET=(\S+)`)
)

// sdkClient is an SDK client for addr signing with the given key.
func sdkClient(t *testing.T, addr, id, secret string) *cs.Client {
	t.Helper()
	c, err := cs.NewClient(&openapiutil.Config{AccessKeyId: dara.String(id), AccessKeySecret: dara.String(secret),
		Endpoint: dara.String(addr), Protocol: dara.String("http"), RegionId: dara.String("cn-hangzhou")})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// keyAccepted returns nil when c's key is accepted, and the error
// otherwise; refusedAs returns nil when it is refused with code.
func keyAccepted(c *cs.Client) error {
	_, err := c.DescribeClustersV1(&cs.DescribeClustersV1Request{PageSize: dara.Int64(1)})
	return err
}

func refusedAs(c *cs.Client, code string) error {
	err := keyAccepted(c)
	var se *tea.SDKError
	if errors.As(err, &se) && tea.StringValue(se.Code) == code {
		return nil
	}
	return fmt.Errorf("request answered %v, want %s", err, code)
}

// checkKeyLifecycle creates a key for an account, checks every server
// accepts it, disables it, checks every server refuses it within a
// second, enables it and checks every server accepts it within a second.
func checkKeyLifecycle(t *testing.T, db, keyFile string, procs []*proc) {
	t.Helper()
	out := keyCLI(t, "create", "--account", "acme", "--db", db, "--key-file", keyFile)
	idm, secm := createdID.FindStringSubmatch(out), createdSecret.FindStringSubmatch(out)
	if idm == nil || secm == nil {
		t.Fatalf("ackup key create printed no key pair:\n%s", out)
	}
	id, sec := idm[1], secm[1]
	list := keyCLI(t, "list", "--db", db, "--key-file", keyFile)
	if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(id) + `\s+acme\s+enabled\s`).MatchString(list) {
		t.Fatalf("ackup key list does not show %s of acme enabled:\n%s", id, list)
	}
	if strings.Contains(list, sec) {
		t.Fatal("ackup key list shows a secret")
	}
	clients := make([]*cs.Client, len(procs))
	for i, p := range procs {
		clients[i] = sdkClient(t, p.addr, id, sec)
		if err := keyAccepted(clients[i]); err != nil {
			t.Fatalf("server %d refuses the new key: %v", i, err)
		}
	}
	keyCLI(t, "disable", id, "--db", db, "--key-file", keyFile)
	for i, c := range clients {
		eventually(t, time.Second, fmt.Sprintf("server %d refuses the disabled key", i), func() error {
			return refusedAs(c, "InvalidAccessKeyId.Inactive")
		})
	}
	if list := keyCLI(t, "list", "--db", db, "--key-file", keyFile); !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(id) + `\s+acme\s+disabled\s`).MatchString(list) {
		t.Fatalf("ackup key list does not show %s disabled:\n%s", id, list)
	}
	keyCLI(t, "enable", id, "--db", db, "--key-file", keyFile)
	for i, c := range clients {
		eventually(t, time.Second, fmt.Sprintf("server %d accepts the re-enabled key", i), func() error { return keyAccepted(c) })
	}
}

func TestKeyCommandsOnRunningServer(t *testing.T) {
	dir := t.TempDir()
	db, keyFile := filepath.Join(dir, "ackup.db"), filepath.Join(dir, "ackup.key")
	p := startProc(t, db, "--key-file", keyFile)
	checkKeyLifecycle(t, db, keyFile, []*proc{p})
}

func TestKeyCommandsOnPostgresReplicas(t *testing.T) {
	db := postgresSchema(t)
	keyFile := filepath.Join(t.TempDir(), "ackup.key")
	procs := []*proc{startProc(t, db, "--key-file", keyFile), startProc(t, db, "--key-file", keyFile)}
	checkKeyLifecycle(t, db, keyFile, procs)
}

// A replica started without the shared key (so with ./ackup.key, or any
// other file) refuses to start, and the replicas already running keep
// answering the default key.
func TestReplicaWithAnotherKeyRefusesToStart(t *testing.T) {
	db := postgresSchema(t)
	keyFile := filepath.Join(t.TempDir(), "ackup.key")
	p := startProc(t, db, "--key-file", keyFile)
	for _, args := range [][]string{{"--key-file", filepath.Join(t.TempDir(), "ackup.key")}, {}} {
		cmd := exec.Command(ackupBinary(t), append([]string{"server", "--addr", freePort(t), "--db", db}, args...)...)
		cmd.Dir = t.TempDir()
		cmd.Env = append(cmd.Environ(), "ALIBABA_CLOUD_ACCESS_KEY_ID="+testKeyID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET="+testKeySecret)
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), "server key") {
			t.Fatalf("server %v on a database with another key: %v\n%s", args, err, out)
		}
	}
	if err := keyAccepted(p.client()); err != nil {
		t.Fatalf("the running replica refuses the default key after the refused starts: %v", err)
	}
}
