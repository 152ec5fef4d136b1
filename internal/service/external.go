package service

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/ackup/ackup/internal/kubecfg"
	"github.com/ackup/ackup/internal/upgrade"
)

// How reads keep a registered cluster's records in line with the live
// cluster.
const (
	// liveRefreshEvery is the least time between two refreshes of one
	// cluster, however many clients read it.
	liveRefreshEvery = 2 * time.Second
	// liveReadTimeout bounds one refresh, so that an unreachable cluster
	// slows a read by at most this much.
	liveReadTimeout = 5 * time.Second
)

// ExternalParams are RegisterExternal's inputs.
type ExternalParams struct {
	Name     string
	RegionID string // DefaultRegion when empty
	Tags     []upgrade.Tag
	// Kube is the executor's configuration with the cluster's kubeconfig in
	// Kube.Kubeconfig: a credential, sealed with the server key, never
	// logged, never returned and never quoted in an error.
	Kube kubecfg.Config
}

// RegisterExternal registers an existing Kubernetes cluster (cluster_type
// ExternalKubernetes) by its kubeconfig: it checks the parameters, reads
// the live cluster through Config.Snapshot and records what it saw with
// RegisterCluster. A kubeconfig that cannot be used, or a cluster that
// cannot be reached with it, is an InvalidParameter error whose message
// says why without quoting the kubeconfig.
func (s *Service) RegisterExternal(ctx context.Context, account string, p ExternalParams) (Created, error) {
	if s.snapshot == nil {
		return Created{}, errors.New("service: RegisterExternal needs Config.Snapshot")
	}
	if err := validateExternal(p); err != nil {
		return Created{}, err
	}
	live, err := s.snapshot(ctx, p.Kube)
	if err != nil {
		return Created{}, s.snapshotError(ctx, p.Name, err, p.Kube.Kubeconfig)
	}
	return s.RegisterCluster(ctx, account, RegisterParams{Name: p.Name, RegionID: p.RegionID, Tags: p.Tags,
		Kubeconfig: p.Kube.Kubeconfig, Kube: p.Kube, Live: live})
}

// validateExternal checks what can be checked before the cluster is
// contacted; RegisterCluster checks it all again with the snapshot.
func validateExternal(p ExternalParams) error {
	if err := upgrade.ValidateClusterName(p.Name); err != nil {
		return err
	}
	switch {
	case len(bytes.TrimSpace(p.Kube.Kubeconfig)) == 0:
		return upgrade.Missingf("kubeconfig is required: the kubeconfig of the cluster to register")
	}
	for i, t := range p.Tags {
		if t.Key == "" {
			return upgrade.Missingf("tags[%d].key is required", i)
		}
	}
	if err := p.Kube.Validate(); err != nil {
		return upgrade.Invalidf("%s", redact(err.Error(), p.Kube.Kubeconfig))
	}
	return nil
}

// snapshotError turns a failure to read the cluster into the client's
// error: the kubeconfig or the configuration is refused, or the cluster
// cannot be reached or read with it. The client learns why in a few words
// (kubecfg.ReachError's reason), never what the server at that address
// answered; the whole error goes to the log.
func (s *Service) snapshotError(ctx context.Context, name string, err error, kubeconfig []byte) error {
	if errors.Is(err, kubecfg.ErrInvalid) {
		return upgrade.Invalidf("%s", redact(err.Error(), kubeconfig))
	}
	reason, detail := "the request failed (the ackup server's log has the details)", err
	var re *kubecfg.ReachError
	if errors.As(err, &re) && re.Err != nil {
		reason, detail = re.Reason, re.Err
	}
	s.log.LogAttrs(ctx, slog.LevelWarn, "RegisterCluster could not read the cluster through its kubeconfig",
		slog.String("name", name), slog.String("reason", reason), slog.String("error", redact(detail.Error(), kubeconfig)))
	return upgrade.Invalidf("the cluster's API server could not be reached with this kubeconfig: %s", reason)
}

// secretKeys are the kubeconfig keys whose values are credentials.
var secretKeys = []string{"token", "password", "secret", "-data", "client-key"}

// redact replaces in msg every credential the kubeconfig holds (tokens,
// passwords, keys and certificates). Neither client-go nor ackup quotes a
// kubeconfig's values in its errors; this makes sure of it, whatever a
// future library version says.
func redact(msg string, kubeconfig []byte) string {
	sc := bufio.NewScanner(bytes.NewReader(kubeconfig))
	sc.Buffer(make([]byte, 0, 64*1024), kubecfg.MaxKubeconfigSize)
	for sc.Scan() {
		key, value, ok := strings.Cut(strings.TrimSpace(sc.Text()), ":")
		if !ok {
			continue
		}
		key = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(key, "-")))
		value = strings.Trim(strings.TrimSpace(value), `"'`)
		if len(value) < 6 {
			continue
		}
		for _, k := range secretKeys {
			if strings.Contains(key, k) {
				msg = strings.ReplaceAll(msg, value, "[redacted]")
				break
			}
		}
	}
	return msg
}

// liveRefresh remembers when each cluster may next be refreshed from the
// live cluster. Clusters of other executors are remembered as never.
type liveRefresh struct {
	mu   sync.Mutex
	next map[string]time.Time // cluster id -> earliest next refresh; zero: never
}

// due reports whether cluster id may be refreshed at now, and if so
// reserves the refresh, so that concurrent reads refresh it once.
func (r *liveRefresh) due(id string, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.next == nil {
		r.next = map[string]time.Time{}
	}
	next, seen := r.next[id]
	if seen && (next.IsZero() || now.Before(next)) {
		return false
	}
	r.next[id] = now.Add(liveRefreshEvery)
	return true
}

// never records that cluster id is not a registered cluster.
func (r *liveRefresh) never(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.next[id] = time.Time{}
}

// refreshLive brings a registered cluster's recorded version, node pools
// and nodes in line with the live cluster (through Config.Live and
// SyncCluster), at most once every liveRefreshEvery. It is called at the
// top of the reads that show them. A failure is logged and otherwise
// ignored: the read then shows the recorded view. Other clusters cost one
// map lookup after their first read.
func (s *Service) refreshLive(ctx context.Context, account, clusterID string) {
	if s.live == nil || clusterID == "" || !s.refresh.due(clusterID, s.now()) {
		return
	}
	c, err := s.clusterGet(ctx, s.st, account, clusterID)
	if err != nil {
		return // the read itself reports it
	}
	if c.Executor != upgrade.ExecutorKube {
		s.refresh.never(clusterID)
		return
	}
	ctx, cancel := context.WithTimeout(ctx, liveReadTimeout)
	defer cancel()
	live, err := s.live(ctx, c)
	if err == nil {
		_, err = s.SyncCluster(ctx, account, clusterID, live)
	}
	if err != nil {
		// The errors of client-go and of the store name addresses and
		// statuses, never the kubeconfig's credentials.
		s.log.LogAttrs(ctx, slog.LevelWarn, "could not refresh a registered cluster from its API server; showing what was recorded",
			slog.String("cluster_id", clusterID), slog.String("error", err.Error()))
	}
}
