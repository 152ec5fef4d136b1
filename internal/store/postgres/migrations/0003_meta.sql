-- Settings of the database itself, one value per name: the fingerprint of
-- the server key that sealed its secrets, and the readiness write probe.

CREATE TABLE meta (
	name  text PRIMARY KEY,
	value text NOT NULL
);
