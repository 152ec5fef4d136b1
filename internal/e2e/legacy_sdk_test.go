package e2e

import (
	"errors"
	"net"
	"testing"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	legacycs "github.com/aliyun/alibaba-cloud-sdk-go/services/cs"
)

// TestLegacySDKReadsErrorCodes drives the server with the legacy
// github.com/aliyun/alibaba-cloud-sdk-go/services/cs client, which reads
// only the capitalised Code/Message/RequestId of an error body: its
// ServerError must carry the code, for service errors and gateway errors.
func TestLegacySDKReadsErrorCodes(t *testing.T) {
	e := start(t)
	id := e.createCluster(t, e.acs3, "1.32.7-aliyun.1", nil, 1)
	client := func(secret string) *legacycs.Client {
		c, err := legacycs.NewClientWithAccessKey("cn-hangzhou", testKeyID, secret)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	host, port, err := net.SplitHostPort(e.addr)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, secret, cluster, code string
		status                      int
		resume                      bool
	}{
		{"unknown cluster", testKeySecret, "c0000000000000000000000000000dead", "ErrorClusterNotFound", 404, false},
		{"resume without an upgrade", testKeySecret, id, "ErrorTaskNotFound", 404, true},
		{"wrong signature", "not-the-secret", id, "SignatureDoesNotMatch", 400, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if tc.resume {
				req := legacycs.CreateResumeUpgradeClusterRequest()
				req.Scheme, req.Domain, req.Port, req.ClusterId = "http", host, port, tc.cluster
				_, err = client(tc.secret).ResumeUpgradeCluster(req)
			} else {
				req := legacycs.CreateDescribeClusterDetailRequest()
				req.Scheme, req.Domain, req.Port, req.ClusterId = "http", host, port, tc.cluster
				_, err = client(tc.secret).DescribeClusterDetail(req)
			}
			var se *sdkerrors.ServerError
			if !errors.As(err, &se) {
				t.Fatalf("error %T %v is not a ServerError", err, err)
			}
			if se.ErrorCode() != tc.code || se.HttpStatus() != tc.status || se.RequestId() == "" || se.Message() == "" {
				t.Fatalf("ServerError code %q status %d request id %q message %q; want %s/%d",
					se.ErrorCode(), se.HttpStatus(), se.RequestId(), se.Message(), tc.code, tc.status)
			}
		})
	}
}
