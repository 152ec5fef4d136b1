package kube

import "testing"

func TestACKVersion(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"v1.33.3", "1.33.3-aliyun.1"},
		{"v1.33.3-eks-4f1b2c", "1.33.3-aliyun.1"},
		{"v1.33.3+k3s1", "1.33.3-aliyun.1"},
		{"1.33.3-aliyun.1", "1.33.3-aliyun.1"},
		{"v1.37.2", "1.37.2-aliyun.1"},
		{"v1.38.0", "1.38.0"}, // a release the catalogue does not know keeps its plain form
		{"garbage", "garbage"},
	} {
		if got := ACKVersion(tc.in); got != tc.want {
			t.Errorf("ACKVersion(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestKubeVersionAndAtLeast(t *testing.T) {
	t.Parallel()
	if got := KubeVersion("1.34.1-aliyun.1"); got != "v1.34.1" {
		t.Errorf("KubeVersion = %q, want v1.34.1", got)
	}
	for _, tc := range []struct {
		v, target string
		want      bool
	}{
		{"v1.34.1", "1.34.1-aliyun.1", true},
		{"v1.34.2", "1.34.1-aliyun.1", true},
		{"v1.33.9", "1.34.1-aliyun.1", false},
		{"v2.0.0", "1.34.1-aliyun.1", true},
		{"", "1.34.1-aliyun.1", false},
	} {
		if got := atLeast(tc.v, tc.target); got != tc.want {
			t.Errorf("atLeast(%q, %q) = %v, want %v", tc.v, tc.target, got, tc.want)
		}
	}
}

func TestMinorsBehind(t *testing.T) {
	t.Parallel()
	a, _ := parseRelease("v1.30.1")
	b, _ := parseRelease("1.34.1-aliyun.1")
	if got := a.minorsBehind(b); got != 4 {
		t.Errorf("minorsBehind = %d, want 4", got)
	}
	if got := b.minorsBehind(a); got != -4 {
		t.Errorf("minorsBehind = %d, want -4", got)
	}
}
