-- Provenance of task events: the engine instance that wrote an event and
-- the fencing token of its lease at the time ('' and 0 for events written
-- by a request). Tests read them to prove no stale lease holder wrote.
-- A constant default makes both columns metadata-only changes (PostgreSQL
-- 11 and newer), so the migration does not rewrite the table.

ALTER TABLE task_events
	ADD COLUMN lease_owner text NOT NULL DEFAULT '',
	ADD COLUMN fence bigint NOT NULL DEFAULT 0;
