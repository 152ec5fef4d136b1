package e2e

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	cs "github.com/alibabacloud-go/cs-20151215/v7/client"
	"github.com/alibabacloud-go/tea/dara"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/ackup/ackup/internal/executor/kube/kubetest"
	"github.com/ackup/ackup/internal/kubecfg"
	"github.com/ackup/ackup/internal/server"
)

// These subtests are attacks by a caller who holds an AccessKey and
// nothing else: each tries to run code on the ackup host, or to learn
// about its network, through RegisterCluster.

// printEnvAction is declared by the server: it records its environment
// under the actions directory, prints it, and fails.
const printEnvAction = "print-env"

func securityActions(dir string) kubecfg.Actions {
	return kubecfg.Actions{{Name: printEnvAction, Timeout: kubecfg.DefaultActionTimeout, Argv: []string{"/bin/sh", "-c",
		`env > "$0/env-$ACKUP_NODE_NAME"; env; echo "upgrade of $ACKUP_NODE_NAME failed: $(env | tr '\n' ' ')"; exit 9`, dir}}}
}

// refused registers body and wants InvalidParameter saying every one of
// words, with no cluster recorded.
func refused(t *testing.T, c *cs.Client, body map[string]any, words ...string) string {
	t.Helper()
	before := clusterCount(t, c)
	_, err := register(c, body)
	msg := dara.StringValue(sdkErr(t, err, "InvalidParameter", 400).Message)
	for _, w := range words {
		if !strings.Contains(msg, w) {
			t.Errorf("the refusal %q does not say %q", msg, w)
		}
	}
	if after := clusterCount(t, c); after != before {
		t.Errorf("a refused registration changed the clusters: %d, then %d", before, after)
	}
	return msg
}

// kubeconfigWith is the test API server's kubeconfig changed by mod.
func (k *kubeEnv) kubeconfigWith(t *testing.T, mod func(*clientcmdapi.Config)) string {
	t.Helper()
	cfg, err := clientcmd.Load(k.kube.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	mod(cfg)
	b, err := clientcmd.Write(*cfg)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// markerPlugin is an exec credential plugin that leaves a file behind and
// answers the API server's real token, so that registration would succeed
// if ackup ran it.
func (k *kubeEnv) markerPlugin(marker string) *clientcmdapi.ExecConfig {
	cred := fmt.Sprintf(`{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":%q}}`, k.kube.Config.BearerToken)
	return &clientcmdapi.ExecConfig{APIVersion: "client.authentication.k8s.io/v1", Command: "/bin/sh",
		Args: []string{"-c", `touch "$0"; echo "$1"`, marker, cred}, InteractiveMode: clientcmdapi.NeverExecInteractiveMode}
}

func currentUser(cfg *clientcmdapi.Config) *clientcmdapi.AuthInfo {
	return cfg.AuthInfos[cfg.Contexts[cfg.CurrentContext].AuthInfo]
}

func (k *kubeEnv) testExecRefused(t *testing.T) {
	c := k.acs3
	marker := filepath.Join(t.TempDir(), "plugin-ran")
	current := k.kubeconfigWith(t, func(cfg *clientcmdapi.Config) {
		u := currentUser(cfg)
		u.Token, u.Exec = "", k.markerPlugin(marker)
	})
	refused(t, c, map[string]any{"name": "exec", "kubeconfig": current}, "kubeconfig: users[0].user.exec is not allowed", "--allow-kubeconfig-exec")
	// A user of another context is refused too: a later edit of the
	// current context would otherwise reach it.
	other := k.kubeconfigWith(t, func(cfg *clientcmdapi.Config) {
		cfg.AuthInfos["zz-plugin"] = &clientcmdapi.AuthInfo{Exec: k.markerPlugin(marker)}
	})
	refused(t, c, map[string]any{"name": "exec-other", "kubeconfig": other}, "users[1].user.exec is not allowed")
	if _, err := os.Stat(marker); !os.IsNotExist(err) {
		t.Fatalf("the kubeconfig's exec plugin ran on the ackup host (stat: %v)", err)
	}

	// With --allow-kubeconfig-exec the operator takes the risk: the plugin
	// runs and the cluster registers.
	allowing := start(t, func(cfg *server.Config) { cfg.AllowKubeconfigExec = true })
	if _, err := register(allowing.acs3, map[string]any{"name": "exec", "kubeconfig": current}); err != nil {
		t.Fatalf("RegisterCluster with --allow-kubeconfig-exec: %v", err)
	}
	if _, err := os.Stat(marker); err != nil {
		t.Errorf("with --allow-kubeconfig-exec the plugin did not run: %v", err)
	}
}

func (k *kubeEnv) testAuthProviderRefused(t *testing.T) {
	kc := k.kubeconfigWith(t, func(cfg *clientcmdapi.Config) {
		u := currentUser(cfg)
		u.Token, u.AuthProvider = "", &clientcmdapi.AuthProviderConfig{Name: "oidc", Config: map[string]string{
			"idp-issuer-url": "https://127.0.0.1:1", "client-id": "ackup", "id-token": "x", "refresh-token": "y"}}
	})
	refused(t, k.acs3, map[string]any{"name": "authp", "kubeconfig": kc}, "kubeconfig: users[0].user.auth-provider is not allowed")
	files := k.kubeconfigWith(t, func(cfg *clientcmdapi.Config) {
		u := currentUser(cfg)
		u.Token, u.TokenFile = "", k.dbPath+".key"
	})
	msg := refused(t, k.acs3, map[string]any{"name": "tokenfile", "kubeconfig": files}, "users[0].user.tokenFile is not allowed", "names a file")
	if strings.Contains(msg, k.dbPath) {
		t.Errorf("the refusal quotes the kubeconfig: %s", msg)
	}
}

func (k *kubeEnv) testRawCommandRefused(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "command-ran")
	for _, key := range []string{"node_action", "control_plane_action"} {
		refused(t, k.acs3, map[string]any{"name": "raw", "kubeconfig": string(k.kube.Kubeconfig), "kubernetes": map[string]any{
			key: map[string]any{"type": "command", "command": []string{"/bin/sh", "-c", `touch "$0"; cat /proc/self/environ`, marker}}}},
			"kubernetes."+key+".command is not accepted", "ask the operator to declare a named action")
	}
	if _, err := os.Stat(marker); !os.IsNotExist(err) {
		t.Fatalf("the caller's command ran on the ackup host (stat: %v)", err)
	}
}

func (k *kubeEnv) testUnknownActionRefused(t *testing.T) {
	refused(t, k.acs3, map[string]any{"name": "unknown", "kubeconfig": string(k.kube.Kubeconfig), "kubernetes": map[string]any{
		"node_action": map[string]any{"type": "command", "name": "reboot-everything"}}},
		`node_action.name "reboot-everything" is not an action this ackup server declares`, kubetest.NodeAction)
}

// testUnreachableWithoutEcho points kubeconfigs at loopback services that
// are not API servers: the refusal says what went wrong, not what they
// answered.
func (k *kubeEnv) testUnreachableWithoutEcho(t *testing.T) {
	const banner = "SSH-2.0-OpenSSH_9.2p1 bastion-internal-7f3a"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			fmt.Fprintf(conn, "%s\r\n", banner)
			_, _ = bufio.NewReader(conn).ReadString('\n')
			conn.Close()
		}
	}()
	const page = "<html><title>admin console of db-internal-42</title></html>"
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, page)
	}))
	t.Cleanup(web.Close)
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refusedAddr := "http://" + closed.Addr().String()
	closed.Close()

	for _, tc := range []struct{ server, says string }{
		{"http://" + ln.Addr().String(), "did not answer as a Kubernetes API server does"},
		{web.URL, "404 Not Found"},
		{refusedAddr, "connection was refused"},
		{strings.Replace(k.kube.URL, "https://", "http://", 1), "could not be reached"},
	} {
		kc := k.kubeconfigWith(t, func(cfg *clientcmdapi.Config) {
			for _, cl := range cfg.Clusters {
				cl.Server = tc.server
				if strings.HasPrefix(tc.server, "http://") {
					cl.CertificateAuthorityData = nil
				}
			}
		})
		msg := refused(t, k.acs3, map[string]any{"name": "nowhere", "kubeconfig": kc}, "API server could not be reached", tc.says)
		for _, echo := range []string{"SSH-2.0", "bastion-internal", "admin console", "<html>", "db-internal"} {
			if strings.Contains(msg, echo) {
				t.Errorf("the refusal for %s echoes what answered (%q): %s", tc.server, echo, msg)
			}
		}
	}
	if !strings.Contains(k.logs.String(), "bastion-internal") {
		t.Error("the server's log lacks the details of the failure")
	}
}

// testActionEnvironment: a named action that prints its environment and
// fails. What the SDK's calls show of it is short and holds none of the
// server's secrets, and the action saw only the documented variables.
func (k *kubeEnv) testActionEnvironment(t *testing.T) {
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", testKeyID)
	t.Setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", testKeySecret)
	c := k.acs3
	k.setup(t, "envtest", node{"env-0", "blue", kubeFrom})
	id := k.registerAgent(t, c, "envtest", nil, map[string]any{"node_action": map[string]any{"type": "command", "name": printEnvAction}})
	task := startUpgrade(t, c, id, 1)
	var failure string
	seen := watchStatus(t, c, id, func(b *cs.GetUpgradeStatusResponseBody) { failure = dara.StringValue(b.ErrorMessage) })
	if last := seen[len(seen)-1]; !strings.HasPrefix(last, "fail/") {
		t.Fatalf("GetUpgradeStatus went %v; want a failure", seen)
	}
	info, err := c.DescribeTaskInfo(dara.String(task))
	if err != nil {
		t.Fatal(err)
	}
	if info.Body.Error == nil {
		t.Fatalf("DescribeTaskInfo has no error: %s", info.Body.String())
	}
	for what, msg := range map[string]string{"GetUpgradeStatus error_message": failure, "DescribeTaskInfo error.message": dara.StringValue(info.Body.Error.Message)} {
		if !strings.Contains(msg, `action "print-env" exited with status 9`) {
			t.Errorf("%s %q does not say how the action ended", what, msg)
		}
		for _, secret := range []string{testKeySecret, testKeyID, "ALIBABA_CLOUD_"} {
			if strings.Contains(msg, secret) {
				t.Errorf("%s holds %q: %s", what, secret, msg)
			}
		}
		if len(msg) > 600 {
			t.Errorf("%s is %d bytes; want a short summary: %s", what, len(msg), msg)
		}
	}
	b, err := os.ReadFile(filepath.Join(k.actions, "env-env-0"))
	if err != nil {
		t.Fatal(err)
	}
	// Besides ackup's, the shell's own: PWD, SHLVL and _.
	allowed := append(slices.Clone(kubecfg.ActionEnv), "PWD", "SHLVL", "_", "OLDPWD")
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		name, value, _ := strings.Cut(line, "=")
		if !slices.Contains(allowed, name) {
			t.Errorf("the action saw %s, which is not a documented variable", name)
		}
		if name == "PATH" && value != kubecfg.SafePath {
			t.Errorf("the action's PATH is %s; want %s", value, kubecfg.SafePath)
		}
	}
	if strings.Contains(k.logs.String(), testKeySecret) {
		t.Error("the server's log holds its AccessKey secret")
	}
}
