package api

import (
	"context"
	"time"

	"github.com/ackup/ackup/internal/upgrade"
)

// versionBody is an item of DescribeKubernetesVersionMetadata's top-level
// array, fields in the SDK model's order. upgradable_versions is present
// only when asked for (QueryUpgradableVersion with KubernetesVersion).
type versionBody struct {
	Runtimes           []runtimeBody `json:"runtimes"`
	Version            string        `json:"version"`
	ReleaseDate        string        `json:"release_date"`
	ExpirationDate     string        `json:"expiration_date"`
	Creatable          bool          `json:"creatable"`
	UpgradableVersions *[]string     `json:"upgradable_versions,omitempty"`
}

type runtimeBody struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// describeKubernetesVersionMetadata lists the catalogue. Every region,
// cluster type and profile share it; containerd is the only runtime, so
// asking for another one lists nothing. An unknown KubernetesVersion is an
// empty list, not an error.
func (s *server) describeKubernetesVersionMetadata(_ context.Context, c *call) (any, error) {
	var versions []upgrade.Version
	if v := c.query.Get("KubernetesVersion"); v != "" {
		if ver, ok := upgrade.LookupVersion(v); ok {
			versions = append(versions, ver)
		}
	} else {
		supported := c.query.Get("Mode") == "supported"
		for _, ver := range upgrade.Catalogue() {
			if supported || ver.Creatable {
				versions = append(versions, ver)
			}
		}
	}
	out := make([]versionBody, 0, len(versions))
	if rt := c.query.Get("runtime"); rt != "" && rt != "containerd" {
		return out, nil
	}
	withUpgrades := c.query.Get("KubernetesVersion") != "" && c.queryBool("QueryUpgradableVersion")
	for _, ver := range versions {
		b := versionBody{
			Runtimes: []runtimeBody{{Name: "containerd", Version: ver.Containerd}},
			Version:  ver.Name, ReleaseDate: ver.Released.UTC().Format(time.RFC3339),
			ExpirationDate: ver.Expires.UTC().Format(time.RFC3339), Creatable: ver.Creatable,
		}
		if withUpgrades {
			up := orEmpty(upgrade.UpgradableVersions(ver.Name))
			b.UpgradableVersions = &up
		}
		out = append(out, b)
	}
	return out, nil
}
