package kube

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ackup/ackup/internal/upgrade"
)

// release is the major.minor.patch core of a Kubernetes version: ACK's
// "1.33.3-aliyun.1" and a kubelet's "v1.33.3" (or "v1.33.3-eks-1", "v1.33.3+k3s1")
// are the same release.
type release struct{ major, minor, patch int }

// parseRelease reads the core of any of those forms.
func parseRelease(v string) (release, error) {
	s := strings.TrimPrefix(strings.TrimSpace(v), "v")
	if i := strings.IndexAny(s, "-+"); i >= 0 {
		s = s[:i]
	}
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return release{}, fmt.Errorf("version %q is not of the form v1.33.3", v)
	}
	var r release
	for i, p := range []*int{&r.major, &r.minor, &r.patch} {
		n, err := strconv.Atoi(parts[i])
		if err != nil || n < 0 {
			return release{}, fmt.Errorf("version %q is not of the form v1.33.3", v)
		}
		*p = n
	}
	return r, nil
}

func (r release) String() string { return fmt.Sprintf("v%d.%d.%d", r.major, r.minor, r.patch) }

// compare returns -1, 0 or 1 as r is older than, the same as or newer than o.
func (r release) compare(o release) int {
	for _, d := range [][2]int{{r.major, o.major}, {r.minor, o.minor}, {r.patch, o.patch}} {
		switch {
		case d[0] < d[1]:
			return -1
		case d[0] > d[1]:
			return 1
		}
	}
	return 0
}

// minorsBehind is how many minor versions r is behind o (negative if ahead).
func (r release) minorsBehind(o release) int {
	if r.major != o.major {
		return (o.major-r.major)*1000 + o.minor - r.minor
	}
	return o.minor - r.minor
}

// atLeast reports whether version v is the same release as target or newer.
func atLeast(v, target string) bool {
	a, err1 := parseRelease(v)
	b, err2 := parseRelease(target)
	return err1 == nil && err2 == nil && a.compare(b) >= 0
}

// KubeVersion returns the Kubernetes form ("v1.34.1") of an ACK version
// ("1.34.1-aliyun.1"), or v unchanged if it does not parse.
func KubeVersion(v string) string {
	r, err := parseRelease(v)
	if err != nil {
		return v
	}
	return r.String()
}

// ACKVersion maps a version as a cluster reports it ("v1.33.3") to ACK's
// form: the newest catalogue entry of the same release ("1.33.3-aliyun.1"),
// or the bare release ("1.37.2") when the catalogue does not know it.
func ACKVersion(v string) string {
	r, err := parseRelease(v)
	if err != nil {
		return v
	}
	out := fmt.Sprintf("%d.%d.%d", r.major, r.minor, r.patch)
	for _, c := range upgrade.Catalogue() {
		if cr, err := parseRelease(c.Name); err == nil && cr == r && upgrade.CompareVersions(c.Name, out) >= 0 {
			out = c.Name
		}
	}
	return out
}
