package main

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/alibabacloud-go/tea/dara"
	"github.com/alibabacloud-go/tea/tea"
)

func TestResolveCredentials(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	config := filepath.Join(dir, "config.json")
	err := os.WriteFile(config, []byte(`{"current":"work","profiles":[
		{"name":"default","mode":"AK","access_key_id":"idD","access_key_secret":"secD","region_id":"cn-beijing"},
		{"name":"work","mode":"AK","access_key_id":"idW","access_key_secret":"secW","region_id":"cn-shanghai"},
		{"name":"sts","mode":"StsToken","access_key_id":"idS","access_key_secret":"secS","sts_token":"tok"},
		{"name":"role","mode":"RamRoleArn","access_key_id":"idR","access_key_secret":"secR"},
		{"name":"empty","mode":"AK"}]}`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	envAK := map[string]string{envAccessKeyID: "idE", envAccessKeySecret: "secE"}
	tests := []struct {
		name     string
		profile  string
		config   string
		env      map[string]string
		want     credentials // source is not compared
		wantErr  string
		wantFrom string
	}{
		{name: "env wins over the config file", config: config, env: envAK, want: credentials{keyID: "idE", secret: "secE"}, wantFrom: "environment"},
		{name: "env with STS token", config: config, env: map[string]string{envAccessKeyID: "idE", envAccessKeySecret: "secE", envSecurityToken: "t"},
			want: credentials{keyID: "idE", secret: "secE", token: "t"}},
		{name: "explicit profile wins over env", profile: "default", config: config, env: envAK,
			want: credentials{keyID: "idD", secret: "secD", region: "cn-beijing"}, wantFrom: "profile default"},
		{name: "current profile without env", config: config, want: credentials{keyID: "idW", secret: "secW", region: "cn-shanghai"}},
		{name: "ALIBABA_CLOUD_PROFILE picks the profile", config: config, env: map[string]string{envProfile: "default"},
			want: credentials{keyID: "idD", secret: "secD", region: "cn-beijing"}},
		{name: "StsToken profile", profile: "sts", config: config, want: credentials{keyID: "idS", secret: "secS", token: "tok"}},
		{name: "unsupported mode", profile: "role", config: config, wantErr: "mode RamRoleArn"},
		{name: "profile without keys", profile: "empty", config: config, wantErr: "no access_key_id"},
		{name: "unknown profile", profile: "nobody", config: config, wantErr: `profile "nobody" is not in`},
		{name: "missing file with --profile", profile: "x", config: filepath.Join(dir, "none.json"), wantErr: "does not exist"},
		{name: "nothing at all", config: filepath.Join(dir, "none.json"), wantErr: "no credentials"},
		{name: "half of the env pair is not enough", config: filepath.Join(dir, "none.json"), env: map[string]string{envAccessKeyID: "idE"}, wantErr: "no credentials"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := resolveCredentials(tc.profile, tc.config, func(k string) string { return tc.env[k] })
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(got.source, tc.wantFrom) {
				t.Errorf("source %q, want %q", got.source, tc.wantFrom)
			}
			got.source = ""
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestResolveEndpoint(t *testing.T) {
	t.Parallel()
	tests := []struct {
		flagEndpoint, flagProtocol, env string
		endpoint, protocol, err         string
	}{
		{endpoint: "127.0.0.1:8080", protocol: "http"},
		{env: "localhost:9000", endpoint: "localhost:9000", protocol: "http"},
		{flagEndpoint: "[::1]:8080", env: "ignored:1", endpoint: "[::1]:8080", protocol: "http"},
		{flagEndpoint: "cs.cn-hangzhou.aliyuncs.com", endpoint: "cs.cn-hangzhou.aliyuncs.com", protocol: "https"},
		{flagEndpoint: "10.0.0.5:8080", flagProtocol: "HTTP", endpoint: "10.0.0.5:8080", protocol: "http"},
		{flagEndpoint: "http://ackup.internal:8080/", endpoint: "ackup.internal:8080", protocol: "http"},
		{flagEndpoint: "https://127.0.0.1:8443", endpoint: "127.0.0.1:8443", protocol: "https"},
		{flagProtocol: "ftp", err: "--protocol"},
		{flagEndpoint: "host/path", err: "not of the form"},
	}
	for _, tc := range tests {
		ep, proto, err := resolveEndpoint(tc.flagEndpoint, tc.flagProtocol, func(string) string { return tc.env })
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%+v: err = %v, want %q", tc, err, tc.err)
			}
			continue
		}
		if err != nil || ep != tc.endpoint || proto != tc.protocol {
			t.Errorf("%+v: got %q %q %v", tc, ep, proto, err)
		}
	}
}

func TestParseInterspersed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		pos  []string
		out  string
		w    bool
	}{
		{[]string{"c1", "--watch", "-o", "json"}, []string{"c1"}, "json", true},
		{[]string{"--watch", "c1", "np1"}, []string{"c1", "np1"}, "", true},
		{[]string{"-o", "yaml", "c1", "--", "--watch"}, []string{"c1", "--watch"}, "yaml", false},
		{nil, nil, "", false},
	}
	for _, tc := range tests {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		out := fs.String("o", "", "")
		w := fs.Bool("watch", false, "")
		pos, err := parseInterspersed(fs, tc.args)
		if err != nil || !reflect.DeepEqual(pos, tc.pos) || *out != tc.out || *w != tc.w {
			t.Errorf("%q: pos %q out %q watch %v err %v", tc.args, pos, *out, *w, err)
		}
	}
}

func TestAsAPIError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want apiError
	}{
		{"body in Data", tea.NewSDKError(map[string]any{"code": "ErrorClusterNotFound",
			"message": "code: 404, cluster c1 not found request id: RID-1",
			"data":    map[string]any{"code": "ErrorClusterNotFound", "message": "cluster c1 not found", "requestId": "RID-1"}}),
			apiError{"ErrorClusterNotFound", "cluster c1 not found", "RID-1"}},
		{"gateway casing", tea.NewSDKError(map[string]any{"code": "SignatureDoesNotMatch",
			"message": "code: 400, bad sig request id: RID-2",
			"data":    map[string]any{"Code": "SignatureDoesNotMatch", "Message": "bad sig", "RequestId": "RID-2"}}),
			apiError{"SignatureDoesNotMatch", "bad sig", "RID-2"}},
		{"folded message only", &dara.SDKError{Code: dara.String("Throttling.User"), Message: dara.String("code: 400, slow down request id: RID-3")},
			apiError{"Throttling.User", "slow down", "RID-3"}},
	}
	for _, tc := range tests {
		got, ok := asAPIError(tc.err)
		if !ok || got != tc.want {
			t.Errorf("%s: got %+v %v, want %+v", tc.name, got, ok, tc.want)
		}
	}
	if _, ok := asAPIError(errors.New("dial tcp: refused")); ok {
		t.Error("a plain error was taken for an API error")
	}
	for err, want := range map[error]bool{
		errors.New("dial tcp 127.0.0.1:8080: connection refused"): true,
		tests[0].err: false,
		tests[2].err: true,
		&dara.SDKError{Code: dara.String("InternalError"), Message: dara.String("code: 500, oops request id: R")}: true,
	} {
		if got := transient(err); got != want {
			t.Errorf("transient(%v) = %v, want %v", err, got, want)
		}
	}
	want := "ErrorClusterNotFound: cluster c1 not found (request id RID-1)"
	if got := tests[0].want.String(); got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}
