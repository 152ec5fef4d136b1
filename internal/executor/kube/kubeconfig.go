package kube

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/yaml"

	"github.com/ackup/ackup/internal/kubecfg"
)

// A kubeconfig comes from an API caller, yet client-go acts on it on the
// ackup host: an exec credential plugin is a program it runs, an
// auth-provider is code it calls, and a path (tokenFile, client-key, ...)
// is a file it reads from the host and may send to the server the
// kubeconfig names. Unless the operator allows them
// (Options.AllowKubeconfigExec), such kubeconfigs are refused before
// client-go sees them: at registration, and again each time an executor is
// built from a stored kubeconfig.

// refusedUserKeys are the user fields that run code or read host files.
var refusedUserKeys = []string{"exec", "auth-provider", "tokenFile", "client-certificate", "client-key"}

// refusedClusterKeys are the cluster fields that read host files.
var refusedClusterKeys = []string{"certificate-authority"}

// checkKubeconfig refuses a kubeconfig whose users (any of them, not only
// the current context's) carry an exec plugin or an auth-provider, or
// whose entries name files on this host. The message names the field
// ("users[0].user.exec") and never quotes a value.
func checkKubeconfig(kc []byte, allowExec bool) error {
	if allowExec {
		return nil
	}
	// A generic read names entries by their index, as the user wrote
	// them; keys are matched without regard to case, more widely than
	// client-go reads them.
	var doc map[string]any
	if err := yaml.Unmarshal(kc, &doc); err == nil {
		if err := refuseKeys(doc, "users", "user", refusedUserKeys); err != nil {
			return err
		}
		if err := refuseKeys(doc, "clusters", "cluster", refusedClusterKeys); err != nil {
			return err
		}
	}
	// client-go's own reading is the one that counts.
	cfg, err := clientcmd.Load(kc)
	if err != nil {
		return kubecfg.Invalidf("the kubeconfig cannot be used: %v", err)
	}
	return refuseLoaded(cfg)
}

func refuseKeys(doc map[string]any, list, entry string, keys []string) error {
	items, _ := lookupFold(doc, list).([]any)
	for i, it := range items {
		m, _ := it.(map[string]any)
		inner, _ := lookupFold(m, entry).(map[string]any)
		for _, k := range keys {
			if v := lookupFold(inner, k); v != nil && v != "" {
				return refusal(fmt.Sprintf("%s[%d].%s.%s", list, i, entry, k), k)
			}
		}
	}
	return nil
}

// lookupFold returns m's value under key, matched without regard to case.
func lookupFold(m map[string]any, key string) any {
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return nil
}

func refuseLoaded(cfg *clientcmdapi.Config) error {
	names := make([]string, 0, len(cfg.AuthInfos))
	for n := range cfg.AuthInfos {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		ai := cfg.AuthInfos[n]
		field := fmt.Sprintf("users[name=%q].user.", n)
		switch {
		case ai.Exec != nil:
			return refusal(field+"exec", "exec")
		case ai.AuthProvider != nil:
			return refusal(field+"auth-provider", "auth-provider")
		case ai.TokenFile != "":
			return refusal(field+"tokenFile", "tokenFile")
		case ai.ClientCertificate != "":
			return refusal(field+"client-certificate", "client-certificate")
		case ai.ClientKey != "":
			return refusal(field+"client-key", "client-key")
		}
	}
	for n, c := range cfg.Clusters {
		if c.CertificateAuthority != "" {
			return refusal(fmt.Sprintf("clusters[name=%q].cluster.certificate-authority", n), "certificate-authority")
		}
	}
	return nil
}

// refusal explains why field is refused and what to do instead.
func refusal(field, key string) error {
	switch key {
	case "exec", "auth-provider":
		return kubecfg.Invalidf("kubeconfig: %s is not allowed: it would run a program on the ackup server; "+
			"use a kubeconfig with a token or a client certificate (for example a ServiceAccount token), "+
			"or ask the operator to start the server with --allow-kubeconfig-exec", field)
	}
	return kubecfg.Invalidf("kubeconfig: %s is not allowed: it names a file on the ackup server; "+
		"put the content in the kubeconfig instead (kubectl config view --raw --flatten --minify)", field)
}

// restConfig parses a kubeconfig's current context, after checkKubeconfig.
func restConfig(kubeconfig []byte, allowExec bool) (*rest.Config, error) {
	if len(bytes.TrimSpace(kubeconfig)) == 0 {
		return nil, kubecfg.Invalidf("the kubeconfig is empty")
	}
	if err := checkKubeconfig(kubeconfig, allowExec); err != nil {
		return nil, err
	}
	rc, err := clientcmd.RESTConfigFromKubeConfig(kubeconfig)
	if err != nil {
		// clientcmd's errors name fields and lines, not their values.
		return nil, kubecfg.Invalidf("the kubeconfig cannot be used: %v", err)
	}
	// What client-go will act on, checked once more.
	if !allowExec {
		switch {
		case rc.ExecProvider != nil || rc.AuthProvider != nil:
			return nil, refusal("the current context's user.exec or user.auth-provider", "exec")
		case rc.BearerTokenFile != "" || rc.CertFile != "" || rc.KeyFile != "" || rc.CAFile != "":
			return nil, refusal("the current context's file reference", "file")
		}
	}
	rc.Timeout = requestTimeout
	rc.UserAgent = "ackup"
	if rc.QPS == 0 {
		rc.QPS, rc.Burst = 50, 100
	}
	return rc, nil
}
