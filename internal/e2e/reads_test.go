package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	cs "github.com/alibabacloud-go/cs-20151215/v7/client"
	"github.com/alibabacloud-go/tea/dara"
	aliyuncommon "github.com/denverdino/aliyungo/common"
	aliyungo "github.com/denverdino/aliyungo/cs"
	yaml "go.yaml.in/yaml/v2"
)

// providerCertificates reads a kubeconfig the way the alicloud Terraform
// provider's flattenAlicloudCSCertificate does: YAML v2 into generic maps
// and unchecked type assertions on the first cluster and user. A missing
// field panics the provider, so here it fails the test.
func providerCertificates(t *testing.T, config string) (m map[string]string) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("the provider would panic reading this kubeconfig: %v\n%s", r, config)
		}
	}()
	kc := map[string]any{}
	if err := yaml.Unmarshal([]byte(config), &kc); err != nil {
		t.Fatalf("kubeconfig is not YAML: %v\n%s", err, config)
	}
	cluster := kc["clusters"].([]any)[0].(map[any]any)["cluster"].(map[any]any)
	user := kc["users"].([]any)[0].(map[any]any)["user"].(map[any]any)
	return map[string]string{
		"server":       cluster["server"].(string),
		"cluster_cert": cluster["certificate-authority-data"].(string),
		"client_cert":  user["client-certificate-data"].(string),
		"client_key":   user["client-key-data"].(string),
	}
}

func TestProviderReadsWithTheSDK(t *testing.T) {
	e := start(t)
	id := e.createCluster(t, e.acs3, "1.32.7-aliyun.1", nil, 2)
	ctx := context.Background()
	if err := e.srv.Service.KeyRegister(ctx, "other-account", "LTAIotherAccount01", "other-secret"); err != nil {
		t.Fatal(err)
	}
	other := e.client("LTAIotherAccount01", "other-secret", "")

	e.clients(t, func(t *testing.T, c *cs.Client) {
		kc, err := c.DescribeClusterUserKubeconfig(dara.String(id), &cs.DescribeClusterUserKubeconfigRequest{PrivateIpAddress: dara.Bool(false)})
		if err != nil {
			t.Fatalf("DescribeClusterUserKubeconfig: %v", err)
		}
		certs := providerCertificates(t, dara.StringValue(kc.Body.Config))
		if want := "https://" + strings.ToLower(id) + ".sim.ackup.invalid:6443"; certs["server"] != want {
			t.Errorf("server %q, want the placeholder %q", certs["server"], want)
		}
		if certs["client_cert"] != "" || certs["client_key"] != "" {
			t.Errorf("a simulated cluster's kubeconfig carries credentials: %v", certs)
		}
		exp, err := time.Parse(time.RFC3339, dara.StringValue(kc.Body.Expiration))
		if err != nil || time.Until(exp) < 2*365*24*time.Hour {
			t.Errorf("expiration %q (%v), want about three years ahead", dara.StringValue(kc.Body.Expiration), err)
		}
		short, err := c.DescribeClusterUserKubeconfig(dara.String(id), &cs.DescribeClusterUserKubeconfigRequest{TemporaryDurationMinutes: dara.Int64(60)})
		if err != nil {
			t.Fatal(err)
		}
		exp, err = time.Parse(time.RFC3339, dara.StringValue(short.Body.Expiration))
		if left := time.Until(exp); err != nil || left < 58*time.Minute || left > 61*time.Minute {
			t.Errorf("60-minute kubeconfig expires %q (%v)", dara.StringValue(short.Body.Expiration), err)
		}
		_, err = c.DescribeClusterUserKubeconfig(dara.String(id), &cs.DescribeClusterUserKubeconfigRequest{TemporaryDurationMinutes: dara.Int64(5)})
		sdkErr(t, err, "InvalidParameter", 400)

		logs, err := c.CheckControlPlaneLogEnable(dara.String(id))
		if err != nil {
			t.Fatalf("CheckControlPlaneLogEnable: %v", err)
		}
		if len(logs.Body.Components) != 0 || dara.StringValue(logs.Body.LogProject) != "" || logs.Body.LogTtl == nil || logs.Body.Aliuid == nil {
			t.Errorf("control plane logs %+v, want none collected", logs.Body)
		}

		audit, err := c.GetClusterAuditProject(dara.String(id))
		if err != nil {
			t.Fatalf("GetClusterAuditProject: %v", err)
		}
		if audit.Body.AuditEnabled == nil || *audit.Body.AuditEnabled || audit.Body.SlsProjectName == nil {
			t.Errorf("audit %+v, want present and disabled", audit.Body)
		}

		res, err := c.DescribeClusterResources(dara.String(id), &cs.DescribeClusterResourcesRequest{WithAddonResources: dara.Bool(true)})
		if err != nil {
			t.Fatalf("DescribeClusterResources: %v", err)
		}
		nodes, err := c.DescribeClusterNodes(dara.String(id), &cs.DescribeClusterNodesRequest{})
		if err != nil {
			t.Fatal(err)
		}
		var fromNodes, fromResources []string
		for _, n := range nodes.Body.Nodes {
			fromNodes = append(fromNodes, dara.StringValue(n.InstanceId))
		}
		for _, r := range res.Body {
			if dara.StringValue(r.ResourceType) != "ALIYUN::ECS::Instance" || dara.StringValue(r.ClusterId) != id {
				t.Errorf("resource %+v", r)
			}
			fromResources = append(fromResources, dara.StringValue(r.InstanceId))
		}
		slices.Sort(fromNodes)
		slices.Sort(fromResources)
		if len(fromNodes) != 2 || !slices.Equal(fromNodes, fromResources) {
			t.Errorf("resources %v, nodes %v: want the same two instances", fromResources, fromNodes)
		}

		// Unknown clusters and other accounts' clusters are not found.
		for _, cl := range []struct {
			who    string
			c      *cs.Client
			target string
		}{{"unknown", c, "c-unknown"}, {"other account", other, id}} {
			t.Run(cl.who, func(t *testing.T) {
				_, err := cl.c.DescribeClusterUserKubeconfig(dara.String(cl.target), &cs.DescribeClusterUserKubeconfigRequest{})
				sdkErr(t, err, "ErrorClusterNotFound", 404)
				_, err = cl.c.CheckControlPlaneLogEnable(dara.String(cl.target))
				sdkErr(t, err, "ErrorClusterNotFound", 404)
				_, err = cl.c.GetClusterAuditProject(dara.String(cl.target))
				sdkErr(t, err, "ErrorClusterNotFound", 404)
				_, err = cl.c.DescribeClusterResources(dara.String(cl.target), &cs.DescribeClusterResourcesRequest{})
				sdkErr(t, err, "ErrorClusterNotFound", 404)
			})
		}
	})
}

func TestProviderReadsOverHTTPS(t *testing.T) {
	e := start(t, withTLS())
	id := e.createCluster(t, e.acs3, "1.32.7-aliyun.1", nil, 1)
	// The provider sends these two headers empty on every call.
	c, rt := e.httpsClient(t), e.trustCA(t)
	h := map[string]*string{"x-acs-source-ip": dara.String(""), "x-acs-secure-transport": dara.String("")}
	if _, err := c.DescribeClusterDetailWithOptions(dara.String(id), h, rt); err != nil {
		t.Fatalf("DescribeClusterDetail: %v", err)
	}
	kc, err := c.DescribeClusterUserKubeconfigWithOptions(dara.String(id), &cs.DescribeClusterUserKubeconfigRequest{PrivateIpAddress: dara.Bool(false)}, h, rt)
	if err != nil {
		t.Fatalf("DescribeClusterUserKubeconfig: %v", err)
	}
	providerCertificates(t, dara.StringValue(kc.Body.Config))
	if _, err := c.CheckControlPlaneLogEnableWithOptions(dara.String(id), h, rt); err != nil {
		t.Fatalf("CheckControlPlaneLogEnable: %v", err)
	}
	if _, err := c.GetClusterAuditProjectWithOptions(dara.String(id), h, rt); err != nil {
		t.Fatalf("GetClusterAuditProject: %v", err)
	}
	res, err := c.DescribeClusterResourcesWithOptions(dara.String(id), &cs.DescribeClusterResourcesRequest{}, h, rt)
	if err != nil || len(res.Body) != 1 {
		t.Fatalf("DescribeClusterResources: %v %+v", err, res)
	}
}

// legacyDescribe is the provider's cluster state poll: aliyungo's
// GET /clusters/{id}, signed with its own legacy ROA HMAC-SHA1, decoding
// created and updated as time.Time.
func legacyDescribe(endpoint, id string) (aliyungo.ClusterType, error) {
	c := aliyungo.NewClient(testKeyID, testKeySecret)
	c.SetEndpoint(endpoint)
	return c.DescribeCluster(id)
}

func TestLegacyClusterPollWithAliyungo(t *testing.T) {
	e := start(t)
	id := e.createCluster(t, e.acs3, "1.32.7-aliyun.1", nil, 1)
	got, err := legacyDescribe("http://"+e.addr, id)
	if err != nil {
		t.Fatalf("aliyungo DescribeCluster: %v", err)
	}
	if got.ClusterID != id || got.State != aliyungo.Running || got.Created.IsZero() || got.Updated.IsZero() || got.Size != 1 {
		t.Errorf("aliyungo read %+v, want cluster %s running with its times and size", got, id)
	}
	_, err = legacyDescribe("http://"+e.addr, "c-unknown")
	var ae *aliyuncommon.Error
	if !errors.As(err, &ae) || ae.StatusCode != 404 || ae.Code != "ErrorClusterNotFound" {
		t.Fatalf("unknown cluster: %v, want aliyungo's 404 ErrorClusterNotFound (the provider's not-found)", err)
	}
	// Deleting ends the poll with a 404, as the provider's Delete waits for.
	if _, err := e.acs3.DeleteCluster(dara.String(id), &cs.DeleteClusterRequest{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, "the deleted cluster answers 404", func() error {
		c, err := legacyDescribe("http://"+e.addr, id)
		if errors.As(err, &ae) && ae.StatusCode == 404 {
			return nil
		}
		return fmt.Errorf("state %s, err %v", c.State, err)
	})
}

// checkLegacyOverHTTPS is run by the SSL_CERT_FILE child: aliyungo uses a
// plain http.Client, so the machine's trust store decides.
func checkLegacyOverHTTPS(addr, id string) error {
	got, err := legacyDescribe((&url.URL{Scheme: "https", Host: addr}).String(), id)
	if err != nil {
		return err
	}
	if got.ClusterID != id {
		return fmt.Errorf("aliyungo over HTTPS read cluster %q, want %s", got.ClusterID, id)
	}
	return nil
}

// testUserKubeconfigHoldsNoCredential: a registered cluster's kubeconfig
// from DescribeClusterUserKubeconfig carries nothing of the kubeconfig it
// was registered with, neither its token nor its server.
func (k *kubeEnv) testUserKubeconfigHoldsNoCredential(t *testing.T) {
	c := k.acs3
	body, err := register(c, map[string]any{"name": "kubeconfig-check", "kubeconfig": string(k.kube.Kubeconfig)})
	if err != nil {
		t.Fatalf("RegisterCluster: %v", err)
	}
	id, _ := body["cluster_id"].(string)
	kc, err := c.DescribeClusterUserKubeconfig(dara.String(id), &cs.DescribeClusterUserKubeconfigRequest{})
	if err != nil {
		t.Fatalf("DescribeClusterUserKubeconfig: %v", err)
	}
	config := dara.StringValue(kc.Body.Config)
	certs := providerCertificates(t, config)
	if strings.Contains(config, k.kube.Config.BearerToken) || strings.Contains(config, k.kube.URL) {
		t.Fatalf("the registered kubeconfig leaked into the answer:\n%s", config)
	}
	if certs["client_cert"] != "" || certs["client_key"] != "" || !strings.HasSuffix(certs["server"], ".registered.ackup.invalid:6443") {
		t.Errorf("kubeconfig fields %v, want no credential and the registered placeholder server", certs)
	}
}
