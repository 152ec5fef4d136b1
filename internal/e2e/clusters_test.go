package e2e

import (
	"strings"
	"testing"

	cs "github.com/alibabacloud-go/cs-20151215/v7/client"
	"github.com/alibabacloud-go/tea/dara"
)

// TestNewcomerFlow is the README's promise: create a cluster, wait for
// running, read GetUpgradeStatus (not_start), and get ErrorClusterNotFound
// for an unknown id, with either signature.
func TestNewcomerFlow(t *testing.T) {
	e := start(t)
	e.clients(t, func(t *testing.T, c *cs.Client) {
		id := e.createCluster(t, c, "1.32.7-aliyun.1", nil, 2)
		if !strings.HasPrefix(id, "c") || len(id) != 33 {
			t.Fatalf("cluster id %q is not in ACK's form", id)
		}
		st, err := c.GetUpgradeStatus(dara.String(id))
		if err != nil {
			t.Fatal(err)
		}
		b := st.Body
		if dara.StringValue(b.UpgradeStep) != "not_start" || b.Status == nil || dara.StringValue(b.Status) != "" ||
			b.ErrorMessage == nil || b.PrecheckReportId == nil || b.UpgradeTask == nil || b.UpgradeTask.Status == nil {
			t.Fatalf("GetUpgradeStatus of a never-upgraded cluster: %s", st.Body.String())
		}
		_, err = c.GetUpgradeStatus(dara.String("c00000000000000000000000000000000"))
		sdkErr(t, err, "ErrorClusterNotFound", 404)
	})
}
