package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/ackup/ackup/internal/upgrade"
)

func TestDomainErrorMapping(t *testing.T) {
	t.Parallel()
	cases := []struct {
		err    error
		code   string
		status int
	}{
		{upgrade.NotFound(upgrade.ResCluster, "c9"), "ErrorClusterNotFound", 404},
		{upgrade.NotFound(upgrade.ResNodePool, "np9"), "ErrorNodePoolNotFound", 404},
		{upgrade.NotFound(upgrade.ResTask, "T-9"), "ErrorTaskNotFound", 404},
		{upgrade.NotFound(upgrade.ResCheck, "chk-9"), "ErrorCheckNotFound", 404},
		{upgrade.NotFound("addon", "a9"), "NotFound", 404},
		{upgrade.Invalidf("next_version x is not newer"), "InvalidParameter", 400},
		{upgrade.Missingf("next_version is required"), "MissingParameter", 400},
		{upgrade.ClusterStatef("cluster c1 already has task T-1"), "ErrorClusterState", 400},
		{upgrade.TaskStatef("task T-1 is not paused"), "ErrorTaskState", 400},
		{&upgrade.Error{Kind: upgrade.KindUnavailable, Message: "the executor is unreachable"}, "ServiceUnavailable", 503},
		{fmt.Errorf("resume: %w", upgrade.TaskStatef("task T-1 is running")), "ErrorTaskState", 400},
		{upgrade.Quotaf("the account already has 1000 clusters"), "QuotaExceeded.Cluster", 400},
	}
	kinds := map[upgrade.Kind]bool{}
	for _, tc := range cases {
		ts := newTestServer(t)
		ts.backend.err = tc.err
		w := ts.do("GET", "/api/v2/clusters/c1/upgrade/status", "")
		if w.Code != tc.status {
			t.Errorf("%v: status %d, want %d", tc.err, w.Code, tc.status)
		}
		ue, _ := upgrade.AsError(tc.err)
		kinds[ue.Kind] = true
		want := fmt.Sprintf(`{"code":%q,"message":%q,"requestId":%q,"status":%d,"Code":%[1]q,"Message":%[2]q,"RequestId":%[3]q}`,
			tc.code, ue.Message, testRequestID, tc.status)
		if w.Body.String() != want {
			t.Errorf("body %s\nwant %s", w.Body, want)
		}
	}
	for k := upgrade.KindInvalid; k <= upgrade.KindQuota; k++ {
		if !kinds[k] {
			t.Errorf("kind %d has no case", k)
		}
		if _, ok := kindCodes[k]; !ok && k != upgrade.KindNotFound {
			t.Errorf("kind %d is not in the table", k)
		}
	}
}

func TestInternalErrorsHideTheirCause(t *testing.T) {
	t.Parallel()
	for _, err := range []error{
		errors.New("pq: connection refused to 10.0.0.5"),
		&upgrade.Error{Kind: upgrade.Kind(99), Message: "pq: connection refused to 10.0.0.5"},
	} {
		ts := newTestServer(t)
		ts.backend.err = err
		w := ts.do("GET", "/tasks/T-1", "")
		if w.Code != 500 {
			t.Fatalf("status %d", w.Code)
		}
		m := decodeMap(t, w)
		if m["code"] != "InternalError" || m["message"] != internalMessage || m["requestId"] != testRequestID {
			t.Errorf("body %v", m)
		}
		if strings.Contains(w.Body.String(), "10.0.0.5") {
			t.Error("the cause reached the client")
		}
		if logs := ts.logs.String(); !strings.Contains(logs, "10.0.0.5") || !strings.Contains(logs, testRequestID) {
			t.Errorf("the cause is not logged with the request id:\n%s", logs)
		}
	}
}

func TestAuthErrorsUseTheGatewayShape(t *testing.T) {
	t.Parallel()
	cases := []struct {
		auth, code, message string
		status              int
	}{
		{"", "IncompleteSignature", "The request is not signed.", 400},
		{"bad", "SignatureDoesNotMatch", "Specified signature is not matched with our calculation.", 400},
		{"unknown-key", "InvalidAccessKeyId.NotFound", "Specified access key is not found.", 404},
		{"throttled", "Throttling.User", "Request was denied due to user flow control.", 400},
	}
	for _, tc := range cases {
		ts := newTestServer(t)
		w := ts.doWith("GET", "http://cs.cn-hangzhou.aliyuncs.com:8443/tasks/T-1", "", http.Header{
			"Accept": {"application/json"}, "Authorization": {tc.auth}})
		if w.Code != tc.status {
			t.Errorf("%s: status %d, want %d", tc.code, w.Code, tc.status)
		}
		want := fmt.Sprintf(`{"Code":%q,"Message":%q,"RequestId":%q,"HostId":"cs.cn-hangzhou.aliyuncs.com","Recommend":%q}`,
			tc.code, tc.message, testRequestID, recommendBase+strings.ReplaceAll(strings.ToLower(tc.code), ".", ""))
		if w.Body.String() != want {
			t.Errorf("body %s\nwant %s", w.Body, want)
		}
		if got := w.Header().Get("x-acs-request-id"); got != testRequestID {
			t.Errorf("x-acs-request-id %q", got)
		}
	}
	ts := newTestServer(t)
	w := ts.doWith("GET", "/tasks/T-1", "", http.Header{"Accept": {"application/json"}, "Authorization": {"throttled"}})
	if got := w.Header().Get("x-acs-retry-after"); got != "1500" {
		t.Errorf("x-acs-retry-after %q, want 1500", got)
	}
}

func TestRecommendLinksToTheCodesAnchor(t *testing.T) {
	t.Parallel()
	if got := recommend("InvalidAccessKeyId.NotFound"); got != "https://github.com/ackup/ackup/blob/main/docs/errors.md#invalidaccesskeyidnotfound" {
		t.Error(got)
	}
}

func TestWrappedAuthErrorIsAGatewayError(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	testAuthFailures := map[string]error{"x": fmt.Errorf("verify: %w", &AuthError{Code: "InvalidAccessKeyId.Inactive"})}
	h, _ := New(Config{Backend: ts.backend, Logger: discardLogger(), NewRequestID: func() string { return testRequestID },
		Authenticate: func(_ context.Context, r *AuthRequest) (string, error) { return "", testAuthFailures["x"] }})
	ts.h = h
	w := ts.do("GET", "/tasks/T-1", "")
	m := decodeMap(t, w)
	if w.Code != 400 || m["Code"] != "InvalidAccessKeyId.Inactive" || m["Message"] != "Specified access key is disabled." {
		t.Errorf("%d %v", w.Code, m)
	}
}

func TestAuthenticateFailingInternallyIs500(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	w := ts.doWith("GET", "/tasks/T-1", "", http.Header{"Accept": {"application/json"}, "Authorization": {"db-down"}})
	if w.Code != 500 || decodeMap(t, w)["code"] != "InternalError" {
		t.Errorf("%d %s", w.Code, w.Body)
	}
}

func TestErrorsInXML(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	w := ts.doWith("GET", "/clusters/c404", "", http.Header{"Authorization": {testAccount}}) // no Accept: XML
	want := xmlHeader + `<Error><RequestId>` + testRequestID + `</RequestId><Code>ErrorClusterNotFound</Code><Message>cluster c404 not found</Message></Error>`
	if w.Code != 404 || w.Body.String() != want || w.Header().Get("Content-Type") != "text/xml;charset=utf-8" {
		t.Errorf("%d %q %s", w.Code, w.Header().Get("Content-Type"), w.Body)
	}
	w = ts.doWith("GET", "http://example.test/clusters/c1", "", http.Header{"Accept": {"text/xml"}, "Authorization": {"bad"}})
	want = xmlHeader + `<Error><RequestId>` + testRequestID + `</RequestId><HostId>example.test</HostId><Code>SignatureDoesNotMatch</Code>` +
		`<Message>Specified signature is not matched with our calculation.</Message><Recommend>` + recommend("SignatureDoesNotMatch") + `</Recommend></Error>`
	if w.Code != 400 || w.Body.String() != want || w.Header().Get("Content-Type") != "text/xml;charset=utf-8" {
		t.Errorf("%d %q %s", w.Code, w.Header().Get("Content-Type"), w.Body)
	}
}
