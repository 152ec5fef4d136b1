package kube

import (
	"errors"
	"strings"
	"testing"

	"github.com/ackup/ackup/internal/kubecfg"
)

const kcHead = "apiVersion: v1\nkind: Config\ncurrent-context: c\ncontexts:\n- name: c\n  context: {cluster: k, user: u}\nclusters:\n- name: k\n  cluster: {server: \"https://127.0.0.1:1\"}\n"

func TestCheckKubeconfigRefuses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, users, says string }{
		{"exec", "- name: u\n  user:\n    exec: {apiVersion: client.authentication.k8s.io/v1, command: /bin/sh, args: [-c, id]}\n", "users[0].user.exec is not allowed"},
		{"exec in another user", "- name: u\n  user: {token: t0123456}\n- name: v\n  user:\n    exec: {apiVersion: client.authentication.k8s.io/v1, command: id}\n", "users[1].user.exec is not allowed"},
		{"exec spelt otherwise", "- name: u\n  user:\n    Exec: {apiVersion: client.authentication.k8s.io/v1, command: id}\n", "users[0].user.exec is not allowed"},
		{"auth-provider", "- name: u\n  user:\n    auth-provider: {name: oidc, config: {client-id: x}}\n", "users[0].user.auth-provider is not allowed"},
		{"token file", "- name: u\n  user: {tokenFile: /etc/ackup/ackup.key}\n", "users[0].user.tokenFile is not allowed"},
		{"client key file", "- name: u\n  user: {client-certificate: /a.crt, client-key: /a.key}\n", "users[0].user.client-certificate is not allowed"},
	} {
		kc := []byte(kcHead + "users:\n" + tc.users)
		_, err := restConfig(kc, false)
		if !errors.Is(err, kubecfg.ErrInvalid) || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s: restConfig = %v; want ErrInvalid saying %q", tc.name, err, tc.says)
		}
		if err != nil && strings.Contains(err.Error(), "/etc/ackup") {
			t.Errorf("%s: the error quotes the kubeconfig: %v", tc.name, err)
		}
		if _, err := restConfig(kc, true); err != nil && strings.Contains(err.Error(), "not allowed") {
			t.Errorf("%s: with exec allowed, restConfig = %v", tc.name, err)
		}
	}
	ca := []byte(strings.Replace(kcHead, `{server: "https://127.0.0.1:1"}`, `{server: "https://127.0.0.1:1", certificate-authority: /etc/ssl/ca.pem}`, 1) +
		"users:\n- name: u\n  user: {token: t0123456}\n")
	if _, err := restConfig(ca, false); err == nil || !strings.Contains(err.Error(), "clusters[0].cluster.certificate-authority is not allowed") {
		t.Errorf("restConfig with a CA file = %v", err)
	}
	if _, err := restConfig([]byte(kcHead+"users:\n- name: u\n  user: {token: t0123456}\n"), false); err != nil {
		t.Errorf("restConfig of a token kubeconfig = %v", err)
	}
}

// FuzzCheckKubeconfig: whatever a caller sends, a kubeconfig that passes
// the check gives client-go no exec plugin, auth-provider or file to act
// on, and the check never panics.
func FuzzCheckKubeconfig(f *testing.F) {
	f.Add([]byte(kcHead + "users:\n- name: u\n  user: {token: t0123456}\n"))
	f.Add([]byte(kcHead + "users:\n- name: u\n  user:\n    exec: {apiVersion: client.authentication.k8s.io/v1, command: id}\n"))
	f.Add([]byte(`{"users": [{"name": "u", "user": {"auth-provider": {"name": "gcp"}}}]}`))
	f.Fuzz(func(t *testing.T, kc []byte) {
		rc, err := restConfig(kc, false)
		if err != nil {
			return
		}
		if rc.ExecProvider != nil || rc.AuthProvider != nil || rc.BearerTokenFile != "" || rc.KeyFile != "" || rc.CertFile != "" || rc.CAFile != "" {
			t.Fatalf("restConfig passed a kubeconfig that acts on the host: %q", kc)
		}
	})
}
