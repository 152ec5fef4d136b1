package upgrade

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Version is an entry of the built-in Kubernetes version catalogue.
type Version struct {
	Name       string // ACK form, e.g. "1.33.3-aliyun.1"
	Released   time.Time
	Expires    time.Time
	Creatable  bool
	Containerd string
}

func date(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

// catalogue lists the versions ackup knows, oldest first.
var catalogue = []Version{
	{"1.30.1-aliyun.1", date("2024-06-20"), date("2026-12-20"), true, "1.6.28"},
	{"1.30.7-aliyun.1", date("2024-12-10"), date("2026-12-20"), true, "1.6.36"},
	{"1.31.1-aliyun.1", date("2024-10-15"), date("2027-04-15"), true, "1.6.36"},
	{"1.31.9-aliyun.1", date("2025-06-05"), date("2027-04-15"), true, "1.6.38"},
	{"1.32.1-aliyun.1", date("2025-02-20"), date("2027-08-20"), true, "2.0.4"},
	{"1.32.7-aliyun.1", date("2025-09-10"), date("2027-08-20"), true, "2.0.5"},
	{"1.33.1-aliyun.1", date("2025-07-01"), date("2027-12-01"), true, "2.1.1"},
	{"1.33.3-aliyun.1", date("2025-10-20"), date("2027-12-01"), true, "2.1.3"},
	{"1.34.1-aliyun.1", date("2025-12-15"), date("2028-04-15"), true, "2.1.4"},
	{"1.35.2-aliyun.1", date("2026-04-20"), date("2028-08-20"), true, "2.1.5"},
	// Newer than ACK offers for new clusters, known so that registered
	// Kubernetes clusters at these releases can be upgraded.
	{"1.36.1-aliyun.1", date("2026-07-10"), date("2028-12-10"), false, "2.2.0"},
	{"1.37.2-aliyun.1", date("2026-10-05"), date("2029-04-05"), false, "2.2.1"},
}

// Catalogue returns the known versions, oldest first. The slice is a copy.
func Catalogue() []Version { return append([]Version(nil), catalogue...) }

// LookupVersion returns the catalogue entry named v.
func LookupVersion(v string) (Version, bool) {
	for _, c := range catalogue {
		if c.Name == v {
			return c, true
		}
	}
	return Version{}, false
}

// LatestVersion returns the newest creatable version.
func LatestVersion() string {
	for i := len(catalogue) - 1; i >= 0; i-- {
		if catalogue[i].Creatable {
			return catalogue[i].Name
		}
	}
	return catalogue[len(catalogue)-1].Name
}

// semver is a parsed "major.minor.patch-aliyun.N" version.
type semver struct{ major, minor, patch, build int }

func parseVersion(v string) (semver, error) {
	core, build, _ := strings.Cut(v, "-aliyun.")
	parts := strings.Split(core, ".")
	if len(parts) != 3 {
		return semver{}, fmt.Errorf("version %q is not of the form 1.33.3-aliyun.1", v)
	}
	var s semver
	var err error
	nums := []*int{&s.major, &s.minor, &s.patch}
	for i, p := range parts {
		if *nums[i], err = strconv.Atoi(p); err != nil {
			return semver{}, fmt.Errorf("version %q is not of the form 1.33.3-aliyun.1", v)
		}
	}
	if build != "" {
		if s.build, err = strconv.Atoi(build); err != nil {
			return semver{}, fmt.Errorf("version %q is not of the form 1.33.3-aliyun.1", v)
		}
	}
	return s, nil
}

// CompareVersions returns -1, 0 or 1 as a is older than, equal to or newer
// than b. Unparseable versions compare as equal.
func CompareVersions(a, b string) int {
	x, err1 := parseVersion(a)
	y, err2 := parseVersion(b)
	if err1 != nil || err2 != nil {
		return 0
	}
	for _, d := range [][2]int{{x.major, y.major}, {x.minor, y.minor}, {x.patch, y.patch}, {x.build, y.build}} {
		if d[0] < d[1] {
			return -1
		}
		if d[0] > d[1] {
			return 1
		}
	}
	return 0
}

// Minor returns the "major.minor" of a version, or "" if it does not parse.
func Minor(v string) string {
	s, err := parseVersion(v)
	if err != nil {
		return ""
	}
	return fmt.Sprintf("%d.%d", s.major, s.minor)
}

// CheckUpgradeTarget says whether a control plane at from may be upgraded to
// to: to must be in the catalogue, newer, and at most one minor ahead.
func CheckUpgradeTarget(from, to string) error {
	if _, ok := LookupVersion(to); !ok {
		return Invalidf("next_version %q is not a known Kubernetes version; DescribeKubernetesVersionMetadata lists the versions", to)
	}
	f, err := parseVersion(from)
	if err != nil {
		return Invalidf("current version %q cannot be parsed", from)
	}
	t, _ := parseVersion(to)
	switch {
	case CompareVersions(to, from) <= 0:
		return Invalidf("next_version %s is not newer than the current version %s", to, from)
	case t.major != f.major || t.minor > f.minor+1:
		return Invalidf("next_version %s skips a minor version: from %s the cluster may go to a newer %d.%d patch or to %d.%d", to, from, f.major, f.minor, f.major, f.minor+1)
	}
	return nil
}

// UpgradableVersions lists the versions a control plane at from may be
// upgraded to, oldest first.
func UpgradableVersions(from string) []string {
	var out []string
	for _, c := range catalogue {
		if CheckUpgradeTarget(from, c.Name) == nil {
			out = append(out, c.Name)
		}
	}
	return out
}

// CheckNodeTarget says whether nodes may go to version to while the control
// plane is at cp: never past the control plane, never down, and within the
// kubelet skew policy (at most three minors behind).
func CheckNodeTarget(cp, nodeVersion, to string) error {
	if _, ok := LookupVersion(to); !ok {
		return Invalidf("kubernetes_version %q is not a known Kubernetes version", to)
	}
	if CompareVersions(to, cp) > 0 {
		return Invalidf("kubernetes_version %s is newer than the control plane (%s); upgrade the control plane first with UpgradeCluster", to, cp)
	}
	if nodeVersion != "" && CompareVersions(to, nodeVersion) < 0 {
		return Invalidf("kubernetes_version %s is older than the node pool's version %s; nodes are never downgraded", to, nodeVersion)
	}
	return nil
}
