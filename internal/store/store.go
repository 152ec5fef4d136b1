// Package store is ackup's persistence seam: the interfaces every storage
// driver implements (SQLite in store/sqlite, PostgreSQL in store/postgres),
// their parameter structs, and the sentinel errors callers test with
// errors.Is. The conformance suite in store/storetest pins the behaviour down.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/ackup/ackup/internal/upgrade"
)

// Sentinel errors. Drivers wrap them with context; test with errors.Is.
var (
	// ErrNotFound: no such row (or it belongs to another account, or was deleted).
	ErrNotFound = errors.New("store: not found")
	// ErrConflict: a uniqueness or state precondition failed.
	ErrConflict = errors.New("store: conflict")
	// ErrFenced: the caller's lease on a task is gone or its fencing token is stale.
	ErrFenced = errors.New("store: lease lost or fencing token stale")
	// ErrNonceUsed: the (AccessKey, nonce) pair was already used and its
	// record is still live: the request is a replay.
	ErrNonceUsed = errors.New("store: nonce already used")
)

// ClaimParams asks for due tasks to drive. A task is due when it is active
// (running or paused), its NextRunAt is not after Now, and its lease is free,
// expired, or already held by Owner. Claiming sets LeaseOwner=Owner,
// LeaseUntil=Now+Lease, and increments Fence whenever the owner changes.
type ClaimParams struct {
	Owner string
	Now   time.Time
	Lease time.Duration
	Limit int
}

// TaskCount is how many tasks of one type are in one state.
type TaskCount struct {
	Type  upgrade.TaskType
	State upgrade.TaskState
	N     int
}

// Claim is a task handed to an engine instance with its fencing token.
type Claim struct {
	TaskID string
	Fence  int64
}

// SealedKind names where a value sealed with the server key is kept.
type SealedKind string

// The places a store keeps sealed values.
const (
	// SealedAccessKeySecret is an AccessKey's secret; ID is the key's id.
	SealedAccessKeySecret SealedKind = "access_key_secret"
	// SealedClusterExecutorConfig is a cluster's executor configuration
	// (a registered cluster's kubeconfig); ID is the cluster's id.
	SealedClusterExecutorConfig SealedKind = "cluster_executor_config"
)

// Sealed is one value sealed with the server key, and where it is kept.
type Sealed struct {
	Kind  SealedKind
	ID    string
	Value []byte
}

// Names of meta settings.
const (
	// MetaServerKeyFingerprint is the fingerprint of the server key that
	// sealed the store's secrets (see secret.Fingerprint).
	MetaServerKeyFingerprint = "server_key_fingerprint"
	// MetaWriteProbe is rewritten by readiness checks to prove the store
	// still accepts writes.
	MetaWriteProbe = "write_probe"
)

// Querier is what can be done inside or outside a transaction.
type Querier interface {
	// MetaGet returns the value of a setting of the database itself,
	// ErrNotFound if it was never set.
	MetaGet(ctx context.Context, name string) (string, error)
	// MetaInsert sets name to value unless it is already set (ErrConflict).
	MetaInsert(ctx context.Context, name, value string) error
	// MetaSet sets name to value, replacing any value.
	MetaSet(ctx context.Context, name, value string) error

	// SealedList returns every non-empty value sealed with the server key:
	// AccessKey secrets and clusters' executor configurations, those of
	// deleted clusters included.
	SealedList(ctx context.Context) ([]Sealed, error)
	// SealedUpdate replaces one sealed value; ErrNotFound if its row is gone.
	SealedUpdate(ctx context.Context, s Sealed) error

	AccessKeyPut(ctx context.Context, k upgrade.AccessKey) error
	AccessKeyGet(ctx context.Context, id string) (upgrade.AccessKey, error)
	AccessKeyList(ctx context.Context) ([]upgrade.AccessKey, error)

	ClusterInsert(ctx context.Context, c upgrade.Cluster) error
	// ClusterGet returns a cluster of accountID; deleted clusters and other
	// accounts' clusters are ErrNotFound. An empty accountID matches any
	// account (engine use).
	ClusterGet(ctx context.Context, accountID, id string) (upgrade.Cluster, error)
	ClusterUpdate(ctx context.Context, c upgrade.Cluster) error
	// ClusterList returns one page of matching clusters (oldest first) and
	// the total count of matches. Deleted clusters are never listed.
	ClusterList(ctx context.Context, p upgrade.ClusterListParams) ([]upgrade.Cluster, int, error)

	NodePoolInsert(ctx context.Context, np upgrade.NodePool) error
	NodePoolGet(ctx context.Context, clusterID, id string) (upgrade.NodePool, error)
	NodePoolList(ctx context.Context, clusterID string) ([]upgrade.NodePool, error)
	NodePoolUpdate(ctx context.Context, np upgrade.NodePool) error

	NodeInsert(ctx context.Context, n upgrade.Node) error
	// NodeList returns nodes ordered by pool creation then node name, and
	// the total count of matches.
	NodeList(ctx context.Context, p upgrade.NodeListParams) ([]upgrade.Node, int, error)
	NodeUpdate(ctx context.Context, n upgrade.Node) error

	TaskInsert(ctx context.Context, t upgrade.Task) error
	// TaskGet returns a task of accountID (empty: any account).
	TaskGet(ctx context.Context, accountID, id string) (upgrade.Task, error)
	// TaskUpdate writes every field of t except the lease fields.
	TaskUpdate(ctx context.Context, t upgrade.Task) error
	TaskList(ctx context.Context, p upgrade.TaskListParams) ([]upgrade.Task, int, error)
	// TaskActive returns the cluster's running or paused task, ErrNotFound if none.
	TaskActive(ctx context.Context, clusterID string) (upgrade.Task, error)
	// TaskLatest returns the cluster's newest task of type typ, ErrNotFound if none.
	TaskLatest(ctx context.Context, clusterID string, typ upgrade.TaskType) (upgrade.Task, error)
	// TaskStatusLatest is GetUpgradeStatus's read in one statement: the
	// newest task of type typ of the live cluster clusterID of accountID
	// (empty: any account), with only ID, ClusterID, Type, State, Step,
	// Message, ErrorMessage and PrecheckID set. A cluster that ClusterGet
	// would not return is ErrNotFound; found is false when the cluster has
	// no task of type typ.
	TaskStatusLatest(ctx context.Context, accountID, clusterID string, typ upgrade.TaskType) (t upgrade.Task, found bool, err error)
	// TaskCountByState counts every task by type and state, for metrics.
	TaskCountByState(ctx context.Context) ([]TaskCount, error)

	// EventAppend appends events to a task; Seq is assigned by the store
	// (1, 2, ... per task) and Time kept as given.
	EventAppend(ctx context.Context, taskID string, evs []upgrade.TaskEvent) error
	EventList(ctx context.Context, taskID string) ([]upgrade.TaskEvent, error)

	CheckInsert(ctx context.Context, c upgrade.Check) error
	CheckGet(ctx context.Context, clusterID, id string) (upgrade.Check, error)
	CheckUpdate(ctx context.Context, c upgrade.Check) error
	// CheckList lists a cluster's checks, newest first; empty filters match all.
	CheckList(ctx context.Context, clusterID, typ, target string) ([]upgrade.Check, error)

	// TaskClaim leases due tasks to p.Owner (see ClaimParams).
	TaskClaim(ctx context.Context, p ClaimParams) ([]Claim, error)
	// TaskFenceCheck returns ErrFenced unless owner still holds the task's
	// lease at now with token fence. Inside a transaction it also locks the
	// task row until commit, so a step's writes land only under a valid lease.
	TaskFenceCheck(ctx context.Context, taskID, owner string, fence int64, now time.Time) error
	// TaskRelease gives up owner's lease on a task (no-op if not held).
	TaskRelease(ctx context.Context, taskID, owner string) error
	// TaskNextDue returns the earliest NextRunAt among active tasks; ok is
	// false when there is none.
	TaskNextDue(ctx context.Context) (t time.Time, ok bool, err error)
}

// Store is a storage driver.
type Store interface {
	Querier
	// InTx runs fn in one transaction: committed if fn returns nil, rolled
	// back otherwise. Transactions are serialisable with respect to each
	// other for the rows they touch. InTx may run fn more than once (a
	// driver retries a transaction the database aborted to keep that
	// promise), each time in a fresh transaction, so fn must not have
	// effects outside q that cannot be repeated, and must reset any state
	// it carries out of the transaction when it starts.
	InTx(ctx context.Context, fn func(q Querier) error) error
	// Ping reports whether the database is reachable and migrated.
	Ping(ctx context.Context) error
	Close() error
}

// Nonce is a recorded use of a request's signature nonce under an
// AccessKey, live until Expires.
type Nonce struct {
	KeyID   string
	Nonce   string
	Expires time.Time
}

// NonceStore is the durable replay cache of request signature nonces, so
// that a request captured before a restart is refused after it. Both
// drivers implement it on their Store. Drivers delete expired records on
// their own, a bounded batch at a time, from NonceUse and NonceRecord.
type NonceStore interface {
	// NonceUse records that nonce was used with keyID at now, live until
	// now+window, and returns ErrNonceUsed if a record of the pair is
	// still live at now. The record is committed when NonceUse returns;
	// of concurrent uses of one pair, exactly one succeeds.
	NonceUse(ctx context.Context, keyID, nonce string, now time.Time, window time.Duration) error
	// NonceRecord commits uses that the caller has already found fresh in
	// a cache of its own (write-behind), without reporting duplicates: a
	// pair already recorded keeps the later of the two expiries. now is
	// the caller's clock, for sweeping.
	NonceRecord(ctx context.Context, now time.Time, ns []Nonce) error
	// NonceLive calls fn with every record live at now, in no particular
	// order, so that a cache can be filled at start; an error from fn
	// stops the walk and is returned.
	NonceLive(ctx context.Context, now time.Time, fn func(Nonce) error) error
}

// Notifier is implemented by drivers whose database several server
// replicas share and that can pass task wake-ups between them (PostgreSQL,
// over LISTEN/NOTIFY). It is optional: a driver used by one process (SQLite)
// need not implement it, and every engine polls anyway, so a lost
// notification only delays a step. storetest checks the contract of
// drivers that implement it.
type Notifier interface {
	// Notify tells every Listen on the same database, in this process or
	// another, that the task changed. Call it after the change commits.
	Notify(ctx context.Context, taskID string) error
	// Listen calls fn with the task ID of every Notify until ctx is done,
	// then returns ctx.Err(). Notifications sent while it cannot listen
	// (before it starts, while it reconnects) are lost, so after each
	// reconnection it calls fn with an empty task ID, meaning "look at
	// every task". fn runs on Listen's goroutine, one call at a time; it
	// should hand the work off rather than do it.
	Listen(ctx context.Context, fn func(taskID string)) error
}
