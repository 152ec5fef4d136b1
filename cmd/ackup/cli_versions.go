package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"

	cs "github.com/alibabacloud-go/cs-20151215/v7/client"
	"github.com/alibabacloud-go/tea/dara"
)

const (
	versionsSynopsis = "[--cluster CLUSTER | --from VERSION] [--all] [flags]"
	versionsSummary  = "list the Kubernetes versions, or the versions a cluster or a version may be upgraded to"
)

// defaultClusterType is the cluster type ackup creates and asks version
// metadata for.
const defaultClusterType = "ManagedKubernetes"

// versionsRun is "ackup versions".
func versionsRun(ctx context.Context, c *cli, name string, args []string) error {
	fs := c.flags(name)
	cluster := fs.String("cluster", "", "show the versions this cluster may be upgraded to")
	from := fs.String("from", "", "show the versions this version may be upgraded to")
	all := fs.Bool("all", false, "list every supported version, not only those a new cluster may use")
	if _, err := c.parse(fs, args, 0, 0); err != nil {
		return err
	}
	if *cluster != "" && *from != "" {
		return usagef("%s: give --cluster or --from, not both", fs.Name())
	}
	s, err := c.connect()
	if err != nil {
		return err
	}
	clusterType := defaultClusterType
	var note string
	if *cluster != "" {
		d, err := s.cs.DescribeClusterDetail(dara.String(*cluster))
		if err != nil {
			return err
		}
		*from = str(d.Body.CurrentVersion)
		clusterType = cmp.Or(str(d.Body.ClusterType), clusterType)
		note = fmt.Sprintf("Cluster %s runs %s.", *cluster, *from)
	}
	req := &cs.DescribeKubernetesVersionMetadataRequest{Region: dara.String(s.region), ClusterType: dara.String(clusterType)}
	switch {
	case *from != "":
		req.KubernetesVersion, req.QueryUpgradableVersion = dara.String(*from), dara.Bool(true)
	case *all:
		req.Mode = dara.String("supported")
	}
	resp, err := s.cs.DescribeKubernetesVersionMetadata(req)
	if err != nil {
		return err
	}
	return s.out.emit(resp.Body, func(w io.Writer) {
		if note != "" {
			fmt.Fprintln(w, note)
		}
		// The API fills upgradable_versions only for --from; then they
		// replace the CREATABLE column.
		last := column{"CREATABLE", true}
		if *from != "" {
			last = column{"UPGRADES TO", false}
		}
		t := newTable(column{"VERSION", true}, column{"RELEASED", true}, column{"EXPIRES", true}, last)
		for _, v := range resp.Body {
			cell := yesNo(dara.BoolValue(v.Creatable))
			if *from != "" {
				var to []string
				for _, u := range v.UpgradableVersions {
					to = append(to, str(u))
				}
				cell = strings.Join(to, ", ")
			}
			t.add(str(v.Version), dateOnly(str(v.ReleaseDate)), dateOnly(str(v.ExpirationDate)), cell)
		}
		t.write(w)
	})
}

// upgradeTarget returns the newest version the cluster may be upgraded to:
// the newest of the upgradable versions the version metadata lists for the
// cluster's version, else the cluster's next_version.
func (s *session) upgradeTarget(d *cs.DescribeClusterDetailResponseBody) (string, error) {
	cur := str(d.CurrentVersion)
	resp, err := s.cs.DescribeKubernetesVersionMetadata(&cs.DescribeKubernetesVersionMetadataRequest{
		Region: dara.String(s.region), ClusterType: dara.String(cmp.Or(str(d.ClusterType), defaultClusterType)),
		KubernetesVersion: dara.String(cur), QueryUpgradableVersion: dara.Bool(true),
	})
	if err != nil {
		return "", err
	}
	best := ""
	for _, v := range resp.Body {
		if str(v.Version) != cur {
			continue
		}
		for _, u := range v.UpgradableVersions {
			if compareVersions(str(u), best) > 0 {
				best = str(u)
			}
		}
	}
	if best == "" {
		best = str(d.NextVersion)
	}
	if best == "" || compareVersions(best, cur) <= 0 {
		return "", fmt.Errorf("cluster %s runs %s and has no newer version to upgrade to", str(d.ClusterId), cur)
	}
	return best, nil
}

// compareVersions orders ACK versions ("1.33.3-aliyun.1") by their numbers
// in turn; "" is older than any version.
func compareVersions(a, b string) int {
	na, nb := versionNumbers(a), versionNumbers(b)
	for i := 0; i < max(len(na), len(nb)); i++ {
		x, y := -1, -1
		if i < len(na) {
			x = na[i]
		}
		if i < len(nb) {
			y = nb[i]
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}

// versionNumbers returns the runs of digits in v as numbers.
func versionNumbers(v string) []int {
	var ns []int
	for _, f := range strings.FieldsFunc(v, func(r rune) bool { return !unicode.IsDigit(r) }) {
		n, err := strconv.Atoi(f)
		if err == nil {
			ns = append(ns, n)
		}
	}
	return ns
}

// dateOnly keeps the date of an API timestamp.
func dateOnly(s string) string {
	if t, ok := parseAPITime(s); ok {
		return t.UTC().Format("2006-01-02")
	}
	return s
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
