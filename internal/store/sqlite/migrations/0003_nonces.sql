-- The replay cache of request signature nonces, so that a request captured
-- before a restart is refused after it: a (key, nonce) pair is used until
-- expires_at (unix nanoseconds); expired rows are swept in batches.
CREATE TABLE nonces (
	key_id     TEXT NOT NULL,
	nonce      TEXT NOT NULL,
	expires_at INTEGER NOT NULL,
	PRIMARY KEY (key_id, nonce)
) WITHOUT ROWID;

CREATE INDEX nonces_expiry_idx ON nonces (expires_at);
