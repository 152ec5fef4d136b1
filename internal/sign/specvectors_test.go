package sign

import (
	"bufio"
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// specVector is one signature test vector of docs/wire.md: the wire request as
// the SDK sent it and what the server must compute from it.
type specVector struct {
	name          string
	wire          string // request line and headers, one per line
	body          string
	canonical     string // ACS3 only
	stringToSign  string
	authorization string
}

func (v specVector) acs3() bool { return v.canonical != "" }

// date is the fixed date of every vector.
var specDate = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

const (
	testKeyID  = "testAccessKeyId"
	testSecret = "testAccessKeySecret"
)

// testKeys is an in-memory Keys.
type testKeys map[string]testKey

type testKey struct {
	secret string
	active bool
}

func (k testKeys) Secret(_ context.Context, id string) (string, bool, error) {
	key, ok := k[id]
	if !ok {
		return "", false, ErrKeyNotFound
	}
	return key.secret, key.active, nil
}

func newTestKeys() testKeys {
	return testKeys{
		testKeyID:  {secret: testSecret, active: true},
		"disabled": {secret: "disabledSecret", active: false},
	}
}

// newTestVerifier returns a Verifier with the test keys, fresh nonces and
// the clock fixed at now.
func newTestVerifier(now time.Time) *Verifier {
	return &Verifier{
		Keys:   newTestKeys(),
		Nonces: NewMemoryNonces(2 * DefaultWindow),
		Now:    func() time.Time { return now },
	}
}

// parseWire turns a request as written in the spec (request line, then
// "Name: value" lines) into a Request the way the HTTP layer will: through
// net/http's own parser, so that header names are canonicalised and values
// trimmed exactly as a real server sees them.
func parseWire(tb testing.TB, wire, body string) *Request {
	tb.Helper()
	head, rest, _ := strings.Cut(wire, "\n")
	method, target, _ := strings.Cut(head, " ")
	var raw strings.Builder
	raw.WriteString(method + " " + target + " HTTP/1.1\r\n")
	for line := range strings.Lines(rest) {
		if line = strings.TrimRight(line, "\n"); line != "" {
			raw.WriteString(line + "\r\n")
		}
	}
	raw.WriteString("Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body)
	hr, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw.String())))
	if err != nil {
		tb.Fatalf("parse wire request: %v", err)
	}
	return fromHTTP(hr, []byte(body))
}

// fromHTTP fills a Request from an *http.Request as the HTTP layer does.
func fromHTTP(hr *http.Request, body []byte) *Request {
	return &Request{
		Method:   hr.Method,
		Host:     hr.Host,
		RawPath:  hr.URL.EscapedPath(),
		RawQuery: hr.URL.RawQuery,
		Header:   hr.Header,
		Body:     body,
	}
}

// specVectors are the eleven signature test vectors of docs/wire.md ("Test
// vectors"), computed by running the official SDK; the literals are the
// SDK's requests byte for byte.
var specVectors = []specVector{
	{
		name: "V1 ACS3 GET DescribeClusterTasks",
		wire: `GET /clusters/c82e6987e2961451182edacd74faf1234/tasks?page_number=1&page_size=20
Authorization: ACS3-HMAC-SHA256 Credential=testAccessKeyId,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=7bd9b7ca42d851b5fbebf4c50ca42bf2cafcd2ffc14e073b5eb7ab3b8779ba71
Host: cs.cn-hangzhou.aliyuncs.com
User-Agent: test-ua
accept: application/json
x-acs-action: DescribeClusterTasks
x-acs-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
x-acs-credentials-provider: static_ak
x-acs-date: 2024-01-01T00:00:00Z
x-acs-signature-nonce: 3156853299f313e23d1673dc12e1703d
x-acs-version: 2015-12-15
`,
		body:          "",
		canonical:     "GET\n/clusters/c82e6987e2961451182edacd74faf1234/tasks\npage_number=1&page_size=20\nhost:cs.cn-hangzhou.aliyuncs.com\nx-acs-action:DescribeClusterTasks\nx-acs-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\nx-acs-credentials-provider:static_ak\nx-acs-date:2024-01-01T00:00:00Z\nx-acs-signature-nonce:3156853299f313e23d1673dc12e1703d\nx-acs-version:2015-12-15\n\nhost;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		stringToSign:  "ACS3-HMAC-SHA256\ne1f63c8804995eedff9c8ea36aeaa284ca776deec73d11cd35271362e6dc602f",
		authorization: "ACS3-HMAC-SHA256 Credential=testAccessKeyId,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=7bd9b7ca42d851b5fbebf4c50ca42bf2cafcd2ffc14e073b5eb7ab3b8779ba71",
	},
	{
		name: "V2 ACS3 POST UpgradeCluster (json body)",
		wire: `POST /api/v2/clusters/c82e6987e2961451182edacd74faf1234/upgrade
Authorization: ACS3-HMAC-SHA256 Credential=testAccessKeyId,SignedHeaders=content-type;host;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=21df9a8bbad0c7a53fa0d2e4ea364e96c42794266ba294928585141f274c3185
Host: cs.cn-hangzhou.aliyuncs.com
User-Agent: test-ua
accept: application/json
content-type: application/json; charset=utf-8
x-acs-action: UpgradeCluster
x-acs-content-sha256: 587dd0f56850638bf67a633cd2ec7f4dffab0d2714e38ab828ed7e8e11ace14e
x-acs-credentials-provider: static_ak
x-acs-date: 2024-01-01T00:00:00Z
x-acs-signature-nonce: 3156853299f313e23d1673dc12e1703d
x-acs-version: 2015-12-15
`,
		body:          "{\"master_only\":true,\"next_version\":\"1.31.1-aliyun.1\"}",
		canonical:     "POST\n/api/v2/clusters/c82e6987e2961451182edacd74faf1234/upgrade\n\ncontent-type:application/json; charset=utf-8\nhost:cs.cn-hangzhou.aliyuncs.com\nx-acs-action:UpgradeCluster\nx-acs-content-sha256:587dd0f56850638bf67a633cd2ec7f4dffab0d2714e38ab828ed7e8e11ace14e\nx-acs-credentials-provider:static_ak\nx-acs-date:2024-01-01T00:00:00Z\nx-acs-signature-nonce:3156853299f313e23d1673dc12e1703d\nx-acs-version:2015-12-15\n\ncontent-type;host;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version\n587dd0f56850638bf67a633cd2ec7f4dffab0d2714e38ab828ed7e8e11ace14e",
		stringToSign:  "ACS3-HMAC-SHA256\ne3589f566e1e715d38521dcfead4fae917d1099ab363b417e489872733f8496d",
		authorization: "ACS3-HMAC-SHA256 Credential=testAccessKeyId,SignedHeaders=content-type;host;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=21df9a8bbad0c7a53fa0d2e4ea364e96c42794266ba294928585141f274c3185",
	},
	{
		name: "V3 ACS3 POST PauseTask (no body)",
		wire: `POST /tasks/T-5faa48fb31b6b8078d000006/pause
Authorization: ACS3-HMAC-SHA256 Credential=testAccessKeyId,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=05159b15f27d17f901b3fcaee859fa6055e7e06a1205d1da22c454d9decf831a
Host: cs.cn-hangzhou.aliyuncs.com
User-Agent: test-ua
accept: application/json
x-acs-action: PauseTask
x-acs-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
x-acs-credentials-provider: static_ak
x-acs-date: 2024-01-01T00:00:00Z
x-acs-signature-nonce: 3156853299f313e23d1673dc12e1703d
x-acs-version: 2015-12-15
`,
		body:          "",
		canonical:     "POST\n/tasks/T-5faa48fb31b6b8078d000006/pause\n\nhost:cs.cn-hangzhou.aliyuncs.com\nx-acs-action:PauseTask\nx-acs-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\nx-acs-credentials-provider:static_ak\nx-acs-date:2024-01-01T00:00:00Z\nx-acs-signature-nonce:3156853299f313e23d1673dc12e1703d\nx-acs-version:2015-12-15\n\nhost;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		stringToSign:  "ACS3-HMAC-SHA256\n884ad96fb8ad6decb29abba0f2bf1fe68be0fef1d8a82722e8c8ad6de0fcad48",
		authorization: "ACS3-HMAC-SHA256 Credential=testAccessKeyId,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=05159b15f27d17f901b3fcaee859fa6055e7e06a1205d1da22c454d9decf831a",
	},
	{
		name: "V4 ACS3 GET GetUpgradeStatus with STS token",
		wire: `GET /api/v2/clusters/c82e6987e2961451182edacd74faf1234/upgrade/status
Authorization: ACS3-HMAC-SHA256 Credential=testAccessKeyId,SignedHeaders=host;x-acs-accesskey-id;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-security-token;x-acs-signature-nonce;x-acs-version,Signature=30a87d8ecd0eb3d29255141a39509066ede1645369eba33fffd8892699f0fa1e
Host: cs.cn-hangzhou.aliyuncs.com
User-Agent: test-ua
accept: application/json
x-acs-accesskey-id: testAccessKeyId
x-acs-action: GetUpgradeStatus
x-acs-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
x-acs-credentials-provider: static_sts
x-acs-date: 2024-01-01T00:00:00Z
x-acs-security-token: testSecurityToken
x-acs-signature-nonce: 3156853299f313e23d1673dc12e1703d
x-acs-version: 2015-12-15
`,
		body:          "",
		canonical:     "GET\n/api/v2/clusters/c82e6987e2961451182edacd74faf1234/upgrade/status\n\nhost:cs.cn-hangzhou.aliyuncs.com\nx-acs-accesskey-id:testAccessKeyId\nx-acs-action:GetUpgradeStatus\nx-acs-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\nx-acs-credentials-provider:static_sts\nx-acs-date:2024-01-01T00:00:00Z\nx-acs-security-token:testSecurityToken\nx-acs-signature-nonce:3156853299f313e23d1673dc12e1703d\nx-acs-version:2015-12-15\n\nhost;x-acs-accesskey-id;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-security-token;x-acs-signature-nonce;x-acs-version\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		stringToSign:  "ACS3-HMAC-SHA256\n724fcaa5132582c1a7ffb9a916ba105976ee5dabcfeca32051b29cea81589640",
		authorization: "ACS3-HMAC-SHA256 Credential=testAccessKeyId,SignedHeaders=host;x-acs-accesskey-id;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-security-token;x-acs-signature-nonce;x-acs-version,Signature=30a87d8ecd0eb3d29255141a39509066ede1645369eba33fffd8892699f0fa1e",
	},
	{
		name: "V5 ACS3 GET DescribeKubernetesVersionMetadata (mixed-case query keys)",
		wire: `GET /api/v1/metadata/versions?ClusterType=ManagedKubernetes&KubernetesVersion=1.30.1-aliyun.1&QueryUpgradableVersion=true&Region=cn-hangzhou&runtime=Sandboxed-Container.runv
Authorization: ACS3-HMAC-SHA256 Credential=testAccessKeyId,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=5cfea004700991266c6e02f400d5701365464998664e06085220cbaeb0897cac
Host: cs.cn-hangzhou.aliyuncs.com
User-Agent: test-ua
accept: application/json
x-acs-action: DescribeKubernetesVersionMetadata
x-acs-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
x-acs-credentials-provider: static_ak
x-acs-date: 2024-01-01T00:00:00Z
x-acs-signature-nonce: 3156853299f313e23d1673dc12e1703d
x-acs-version: 2015-12-15
`,
		body:          "",
		canonical:     "GET\n/api/v1/metadata/versions\nClusterType=ManagedKubernetes&KubernetesVersion=1.30.1-aliyun.1&QueryUpgradableVersion=true&Region=cn-hangzhou&runtime=Sandboxed-Container.runv\nhost:cs.cn-hangzhou.aliyuncs.com\nx-acs-action:DescribeKubernetesVersionMetadata\nx-acs-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\nx-acs-credentials-provider:static_ak\nx-acs-date:2024-01-01T00:00:00Z\nx-acs-signature-nonce:3156853299f313e23d1673dc12e1703d\nx-acs-version:2015-12-15\n\nhost;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		stringToSign:  "ACS3-HMAC-SHA256\ned1950d494e0ff2545203a92ddca5950dbf817b9420166e41630dfae3f41d5c5",
		authorization: "ACS3-HMAC-SHA256 Credential=testAccessKeyId,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=5cfea004700991266c6e02f400d5701365464998664e06085220cbaeb0897cac",
	},
	{
		name: "V6 ACS3 GET DescribeClustersV1 (escaping)",
		wire: `GET /api/v1/clusters?name=my+cluster%2A~%2Fx&page_size=10&region_id=cn-hangzhou
Authorization: ACS3-HMAC-SHA256 Credential=testAccessKeyId,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=f8fcdca2675f5b18418fd89936c6e40fad157adf04992023d8c33ea4d6336fe8
Host: cs.cn-hangzhou.aliyuncs.com
User-Agent: test-ua
accept: application/json
x-acs-action: DescribeClustersV1
x-acs-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
x-acs-credentials-provider: static_ak
x-acs-date: 2024-01-01T00:00:00Z
x-acs-signature-nonce: 3156853299f313e23d1673dc12e1703d
x-acs-version: 2015-12-15
`,
		body:          "",
		canonical:     "GET\n/api/v1/clusters\nname=my%20cluster%2A~%2Fx&page_size=10&region_id=cn-hangzhou\nhost:cs.cn-hangzhou.aliyuncs.com\nx-acs-action:DescribeClustersV1\nx-acs-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\nx-acs-credentials-provider:static_ak\nx-acs-date:2024-01-01T00:00:00Z\nx-acs-signature-nonce:3156853299f313e23d1673dc12e1703d\nx-acs-version:2015-12-15\n\nhost;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		stringToSign:  "ACS3-HMAC-SHA256\n36d2ef79bab67c80b709c848eb110ec5a5ef81af2c17aad1abe30e3de2a8cfa9",
		authorization: "ACS3-HMAC-SHA256 Credential=testAccessKeyId,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=f8fcdca2675f5b18418fd89936c6e40fad157adf04992023d8c33ea4d6336fe8",
	},
	{
		name: "V7 ROA-v2 (HMAC-SHA1) GET DescribeClusterTasks",
		wire: `GET /clusters/c82e6987e2961451182edacd74faf1234/tasks?page_number=1&page_size=20
Host: cs.cn-hangzhou.aliyuncs.com
User-Agent: test-ua
accept: application/json
authorization: acs testAccessKeyId:jJupkHIFs3OkC3ya69t1fkvwYE4=
date: Mon, 01 Jan 2024 00:00:00 GMT
x-acs-action: DescribeClusterTasks
x-acs-credentials-provider: static_ak
x-acs-signature-method: HMAC-SHA1
x-acs-signature-nonce: 3156853299f313e23d1673dc12e1703d
x-acs-signature-version: 1.0
x-acs-version: 2015-12-15
`,
		body:          "",
		stringToSign:  "GET\napplication/json\n\n\nMon, 01 Jan 2024 00:00:00 GMT\nx-acs-action:DescribeClusterTasks\nx-acs-credentials-provider:static_ak\nx-acs-signature-method:HMAC-SHA1\nx-acs-signature-nonce:3156853299f313e23d1673dc12e1703d\nx-acs-signature-version:1.0\nx-acs-version:2015-12-15\n/clusters/c82e6987e2961451182edacd74faf1234/tasks?page_number=1&page_size=20",
		authorization: "acs testAccessKeyId:jJupkHIFs3OkC3ya69t1fkvwYE4=",
	},
	{
		name: "V8 ROA-v2 (HMAC-SHA1) POST UpgradeCluster",
		wire: `POST /api/v2/clusters/c82e6987e2961451182edacd74faf1234/upgrade
Host: cs.cn-hangzhou.aliyuncs.com
User-Agent: test-ua
accept: application/json
authorization: acs testAccessKeyId:mTe1HC5pdDUxZ7Cfq38l7rd8MNs=
content-type: application/json; charset=utf-8
date: Mon, 01 Jan 2024 00:00:00 GMT
x-acs-action: UpgradeCluster
x-acs-credentials-provider: static_ak
x-acs-signature-method: HMAC-SHA1
x-acs-signature-nonce: 3156853299f313e23d1673dc12e1703d
x-acs-signature-version: 1.0
x-acs-version: 2015-12-15
`,
		body:          "{\"master_only\":true,\"next_version\":\"1.31.1-aliyun.1\"}",
		stringToSign:  "POST\napplication/json\n\napplication/json; charset=utf-8\nMon, 01 Jan 2024 00:00:00 GMT\nx-acs-action:UpgradeCluster\nx-acs-credentials-provider:static_ak\nx-acs-signature-method:HMAC-SHA1\nx-acs-signature-nonce:3156853299f313e23d1673dc12e1703d\nx-acs-signature-version:1.0\nx-acs-version:2015-12-15\n/api/v2/clusters/c82e6987e2961451182edacd74faf1234/upgrade",
		authorization: "acs testAccessKeyId:mTe1HC5pdDUxZ7Cfq38l7rd8MNs=",
	},
	{
		name: "V9 ROA-v2 (HMAC-SHA1) POST PauseClusterUpgrade no body + STS",
		wire: `POST /api/v2/clusters/c82e6987e2961451182edacd74faf1234/upgrade/pause
Host: cs.cn-hangzhou.aliyuncs.com
User-Agent: test-ua
accept: application/json
authorization: acs testAccessKeyId:Y07/QKrMupB+XeVAQ+eI8wXcpUo=
date: Mon, 01 Jan 2024 00:00:00 GMT
x-acs-accesskey-id: testAccessKeyId
x-acs-action: PauseClusterUpgrade
x-acs-credentials-provider: static_sts
x-acs-security-token: testSecurityToken
x-acs-signature-method: HMAC-SHA1
x-acs-signature-nonce: 3156853299f313e23d1673dc12e1703d
x-acs-signature-version: 1.0
x-acs-version: 2015-12-15
`,
		body:          "",
		stringToSign:  "POST\napplication/json\n\n\nMon, 01 Jan 2024 00:00:00 GMT\nx-acs-accesskey-id:testAccessKeyId\nx-acs-action:PauseClusterUpgrade\nx-acs-credentials-provider:static_sts\nx-acs-security-token:testSecurityToken\nx-acs-signature-method:HMAC-SHA1\nx-acs-signature-nonce:3156853299f313e23d1673dc12e1703d\nx-acs-signature-version:1.0\nx-acs-version:2015-12-15\n/api/v2/clusters/c82e6987e2961451182edacd74faf1234/upgrade/pause",
		authorization: "acs testAccessKeyId:Y07/QKrMupB+XeVAQ+eI8wXcpUo=",
	},
	{
		name: "V10 ROA-v2 GET DescribeClustersV1 (raw values in resource)",
		wire: `GET /api/v1/clusters?name=my+cluster%2A~%2Fx&region_id=cn-hangzhou
Host: cs.cn-hangzhou.aliyuncs.com
User-Agent: test-ua
accept: application/json
authorization: acs testAccessKeyId:4k3N0c7Ic0VeKNGvAWouAKhI1yg=
date: Mon, 01 Jan 2024 00:00:00 GMT
x-acs-action: DescribeClustersV1
x-acs-credentials-provider: static_ak
x-acs-signature-method: HMAC-SHA1
x-acs-signature-nonce: 3156853299f313e23d1673dc12e1703d
x-acs-signature-version: 1.0
x-acs-version: 2015-12-15
`,
		body:          "",
		stringToSign:  "GET\napplication/json\n\n\nMon, 01 Jan 2024 00:00:00 GMT\nx-acs-action:DescribeClustersV1\nx-acs-credentials-provider:static_ak\nx-acs-signature-method:HMAC-SHA1\nx-acs-signature-nonce:3156853299f313e23d1673dc12e1703d\nx-acs-signature-version:1.0\nx-acs-version:2015-12-15\n/api/v1/clusters?name=my cluster*~/x&region_id=cn-hangzhou",
		authorization: "acs testAccessKeyId:4k3N0c7Ic0VeKNGvAWouAKhI1yg=",
	},
	{
		name: "V11 ACS3 POST UpgradeCluster, endpoint 127.0.0.1:8080 over http, empty x-acs-source-ip/x-acs-secure-transport",
		wire: `POST /api/v2/clusters/c82e6987e2961451182edacd74faf1234/upgrade
Authorization: ACS3-HMAC-SHA256 Credential=testAccessKeyId,SignedHeaders=content-type;host;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-secure-transport;x-acs-signature-nonce;x-acs-source-ip;x-acs-version,Signature=be5c807c5bf75884b19344777490562113858596d1c2966a73360a5935ee8f30
Host: 127.0.0.1:8080
User-Agent: test-ua
accept: application/json
content-type: application/json; charset=utf-8
x-acs-action: UpgradeCluster
x-acs-content-sha256: 6d80579f0cc1e9af9500714c137dae7ea5c54d03f4fb4fa64b05199c5c315536
x-acs-credentials-provider: static_ak
x-acs-date: 2024-01-01T00:00:00Z
x-acs-secure-transport:
x-acs-signature-nonce: 3156853299f313e23d1673dc12e1703d
x-acs-source-ip:
x-acs-version: 2015-12-15
`,
		body:          "{\"next_version\":\"1.31.1-aliyun.1\"}",
		canonical:     "POST\n/api/v2/clusters/c82e6987e2961451182edacd74faf1234/upgrade\n\ncontent-type:application/json; charset=utf-8\nhost:127.0.0.1:8080\nx-acs-action:UpgradeCluster\nx-acs-content-sha256:6d80579f0cc1e9af9500714c137dae7ea5c54d03f4fb4fa64b05199c5c315536\nx-acs-credentials-provider:static_ak\nx-acs-date:2024-01-01T00:00:00Z\nx-acs-secure-transport:\nx-acs-signature-nonce:3156853299f313e23d1673dc12e1703d\nx-acs-source-ip:\nx-acs-version:2015-12-15\n\ncontent-type;host;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-secure-transport;x-acs-signature-nonce;x-acs-source-ip;x-acs-version\n6d80579f0cc1e9af9500714c137dae7ea5c54d03f4fb4fa64b05199c5c315536",
		stringToSign:  "ACS3-HMAC-SHA256\ncbe6094af0a6292201196fed743516c748bca22ae5d6babe4d04420fb94c9062",
		authorization: "ACS3-HMAC-SHA256 Credential=testAccessKeyId,SignedHeaders=content-type;host;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-secure-transport;x-acs-signature-nonce;x-acs-source-ip;x-acs-version,Signature=be5c807c5bf75884b19344777490562113858596d1c2966a73360a5935ee8f30",
	},
}
