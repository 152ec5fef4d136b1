-- ackup schema, version 1. Applied once, inside the migration transaction;
-- plain CREATE (no IF NOT EXISTS) so that a second application fails loudly.
--
-- Identifiers and node names sort by "C" collation (byte order), as they do
-- in the SQLite driver, so that ties on time break the same way everywhere.

CREATE TABLE access_keys (
	id         text COLLATE "C" PRIMARY KEY,
	account_id text NOT NULL,
	secret_enc bytea,
	active     boolean NOT NULL,
	created    timestamptz NOT NULL
);

CREATE TABLE clusters (
	id               text COLLATE "C" PRIMARY KEY,
	account_id       text NOT NULL,
	name             text NOT NULL,
	region_id        text NOT NULL,
	cluster_type     text NOT NULL,
	cluster_spec     text NOT NULL,
	profile          text NOT NULL,
	current_version  text NOT NULL,
	init_version     text NOT NULL,
	target_version   text NOT NULL,
	state            text NOT NULL,
	vpc_id           text NOT NULL,
	vswitch_ids      text[],
	container_cidr   text NOT NULL,
	service_cidr     text NOT NULL,
	tags             jsonb NOT NULL,
	executor         text NOT NULL,
	executor_config  bytea,
	deletion_protect boolean NOT NULL,
	created          timestamptz NOT NULL,
	updated          timestamptz NOT NULL
);

CREATE INDEX clusters_account_idx ON clusters (account_id, created, id);

-- Node pools and nodes are keyed within their cluster.
CREATE TABLE node_pools (
	cluster_id     text NOT NULL,
	id             text COLLATE "C" NOT NULL,
	name           text NOT NULL,
	is_default     boolean NOT NULL,
	desired_size   integer NOT NULL,
	instance_types text[],
	vswitch_ids    text[],
	state          text NOT NULL,
	created        timestamptz NOT NULL,
	updated        timestamptz NOT NULL,
	PRIMARY KEY (cluster_id, id)
);

CREATE TABLE nodes (
	cluster_id    text NOT NULL,
	instance_id   text COLLATE "C" NOT NULL,
	node_pool_id  text COLLATE "C" NOT NULL,
	name          text COLLATE "C" NOT NULL,
	ip            text NOT NULL,
	instance_type text NOT NULL,
	version       text NOT NULL,
	status        text NOT NULL,
	unschedulable boolean NOT NULL,
	upgrading     boolean NOT NULL,
	state         text NOT NULL,
	created       timestamptz NOT NULL,
	updated       timestamptz NOT NULL,
	PRIMARY KEY (cluster_id, instance_id)
);

CREATE INDEX nodes_pool_idx ON nodes (cluster_id, node_pool_id, name);

-- params and plan are json, not jsonb: they are returned byte for byte.
-- event_seq is the last Seq handed to the task's events.
CREATE TABLE tasks (
	id            text COLLATE "C" PRIMARY KEY,
	cluster_id    text NOT NULL,
	account_id    text NOT NULL,
	type          text NOT NULL,
	state         text NOT NULL,
	step          text NOT NULL,
	stage         text NOT NULL,
	target_id     text NOT NULL,
	target_type   text NOT NULL,
	params        json,
	plan          json,
	stages        jsonb NOT NULL,
	error_code    text NOT NULL,
	error_message text NOT NULL,
	message       text NOT NULL,
	precheck_id   text NOT NULL,
	desired       text NOT NULL,
	created       timestamptz NOT NULL,
	updated       timestamptz NOT NULL,
	next_run_at   timestamptz NOT NULL,
	lease_owner   text NOT NULL,
	lease_until   timestamptz NOT NULL,
	fence         bigint NOT NULL,
	event_seq     bigint NOT NULL DEFAULT 0
);

CREATE INDEX tasks_cluster_idx ON tasks (cluster_id, created DESC, id DESC);
CREATE INDEX tasks_due_idx ON tasks (next_run_at) WHERE state IN ('running', 'paused');

CREATE TABLE task_events (
	task_id text NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
	seq     bigint NOT NULL,
	time    timestamptz NOT NULL,
	action  text NOT NULL,
	level   text NOT NULL,
	reason  text NOT NULL,
	message text NOT NULL,
	source  text NOT NULL,
	PRIMARY KEY (task_id, seq)
);

CREATE TABLE checks (
	cluster_id text NOT NULL,
	id         text COLLATE "C" NOT NULL,
	type       text NOT NULL,
	target     text NOT NULL,
	options    jsonb NOT NULL,
	status     text NOT NULL,
	message    text NOT NULL,
	items      jsonb NOT NULL,
	created    timestamptz NOT NULL,
	finished   timestamptz NOT NULL,
	PRIMARY KEY (cluster_id, id)
);

CREATE INDEX checks_cluster_idx ON checks (cluster_id, created DESC, id DESC);

-- The replay cache shared by replicas: a (key, nonce) pair is used until
-- expires_at; expired rows are swept in small batches.
CREATE TABLE nonces (
	key_id     text NOT NULL,
	nonce      text NOT NULL,
	expires_at timestamptz NOT NULL,
	PRIMARY KEY (key_id, nonce)
);

CREATE INDEX nonces_expiry_idx ON nonces (expires_at);
