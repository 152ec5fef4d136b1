-- The initial schema. Times are INTEGER unix nanoseconds in UTC (0 for the
-- zero time); lists, maps, tags, stages and check items are JSON TEXT.
-- Foreign keys are deferred so that a transaction may insert a parent and
-- its children in any order.

CREATE TABLE access_keys (
    id         TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    secret_enc BLOB,
    active     INTEGER NOT NULL,
    created    INTEGER NOT NULL
) STRICT;

CREATE TABLE clusters (
    id               TEXT PRIMARY KEY,
    account_id       TEXT NOT NULL,
    name             TEXT NOT NULL,
    region_id        TEXT NOT NULL,
    cluster_type     TEXT NOT NULL,
    cluster_spec     TEXT NOT NULL,
    profile          TEXT NOT NULL,
    current_version  TEXT NOT NULL,
    init_version     TEXT NOT NULL,
    target_version   TEXT NOT NULL,
    state            TEXT NOT NULL,
    vpc_id           TEXT NOT NULL,
    vswitch_ids      TEXT NOT NULL,
    container_cidr   TEXT NOT NULL,
    service_cidr     TEXT NOT NULL,
    tags             TEXT NOT NULL,
    executor         TEXT NOT NULL,
    executor_config  BLOB,
    deletion_protect INTEGER NOT NULL,
    created          INTEGER NOT NULL,
    updated          INTEGER NOT NULL
) STRICT;

-- ClusterList pages an account's clusters oldest first.
CREATE INDEX clusters_account_created ON clusters (account_id, created, id);

CREATE TABLE node_pools (
    id             TEXT PRIMARY KEY,
    cluster_id     TEXT NOT NULL REFERENCES clusters (id) DEFERRABLE INITIALLY DEFERRED,
    name           TEXT NOT NULL,
    is_default     INTEGER NOT NULL,
    desired_size   INTEGER NOT NULL,
    instance_types TEXT NOT NULL,
    vswitch_ids    TEXT NOT NULL,
    state          TEXT NOT NULL,
    created        INTEGER NOT NULL,
    updated        INTEGER NOT NULL
) STRICT;

CREATE INDEX node_pools_cluster_created ON node_pools (cluster_id, created, id);

CREATE TABLE nodes (
    cluster_id    TEXT NOT NULL REFERENCES clusters (id) DEFERRABLE INITIALLY DEFERRED,
    instance_id   TEXT NOT NULL,
    node_pool_id  TEXT NOT NULL,
    name          TEXT NOT NULL,
    ip            TEXT NOT NULL,
    instance_type TEXT NOT NULL,
    version       TEXT NOT NULL,
    status        TEXT NOT NULL,
    unschedulable INTEGER NOT NULL,
    upgrading     INTEGER NOT NULL,
    state         TEXT NOT NULL,
    created       INTEGER NOT NULL,
    updated       INTEGER NOT NULL,
    PRIMARY KEY (cluster_id, instance_id)
) STRICT;

-- NodeList filters a cluster's nodes by pool and orders them by name.
CREATE INDEX nodes_cluster_pool_name ON nodes (cluster_id, node_pool_id, name);

CREATE TABLE tasks (
    id            TEXT PRIMARY KEY,
    cluster_id    TEXT NOT NULL REFERENCES clusters (id) DEFERRABLE INITIALLY DEFERRED,
    account_id    TEXT NOT NULL,
    type          TEXT NOT NULL,
    state         TEXT NOT NULL,
    step          TEXT NOT NULL,
    stage         TEXT NOT NULL,
    target_id     TEXT NOT NULL,
    target_type   TEXT NOT NULL,
    params        TEXT,
    plan          TEXT,
    stages        TEXT NOT NULL,
    error_code    TEXT NOT NULL,
    error_message TEXT NOT NULL,
    message       TEXT NOT NULL,
    precheck_id   TEXT NOT NULL,
    desired       TEXT NOT NULL,
    created       INTEGER NOT NULL,
    updated       INTEGER NOT NULL,
    next_run_at   INTEGER NOT NULL,
    lease_owner   TEXT NOT NULL DEFAULT '',
    lease_until   INTEGER NOT NULL DEFAULT 0,
    fence         INTEGER NOT NULL DEFAULT 0
) STRICT;

-- TaskLatest (the GetUpgradeStatus hot path) and TaskList, newest first.
CREATE INDEX tasks_cluster_type_created ON tasks (cluster_id, type, created, id);
CREATE INDEX tasks_cluster_created ON tasks (cluster_id, created, id);
-- TaskActive.
CREATE INDEX tasks_cluster_state ON tasks (cluster_id, state);
-- TaskClaim and TaskNextDue look for active tasks by next_run_at.
CREATE INDEX tasks_state_next_run ON tasks (state, next_run_at);

CREATE TABLE task_events (
    task_id TEXT NOT NULL REFERENCES tasks (id) DEFERRABLE INITIALLY DEFERRED,
    seq     INTEGER NOT NULL,
    time    INTEGER NOT NULL,
    action  TEXT NOT NULL,
    level   TEXT NOT NULL,
    reason  TEXT NOT NULL,
    message TEXT NOT NULL,
    source  TEXT NOT NULL,
    PRIMARY KEY (task_id, seq)
) STRICT, WITHOUT ROWID;

CREATE TABLE checks (
    id         TEXT PRIMARY KEY,
    cluster_id TEXT NOT NULL REFERENCES clusters (id) DEFERRABLE INITIALLY DEFERRED,
    type       TEXT NOT NULL,
    target     TEXT NOT NULL,
    options    TEXT NOT NULL,
    status     TEXT NOT NULL,
    message    TEXT NOT NULL,
    items      TEXT NOT NULL,
    created    INTEGER NOT NULL,
    finished   INTEGER NOT NULL
) STRICT;

-- CheckList, newest first.
CREATE INDEX checks_cluster_created ON checks (cluster_id, created, id);
