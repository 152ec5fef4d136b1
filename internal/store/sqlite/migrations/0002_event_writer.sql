-- Events record who wrote them: the engine instance's lease owner and the
-- fencing token it held ('' and 0 for events written by a request).

ALTER TABLE task_events ADD COLUMN lease_owner TEXT NOT NULL DEFAULT '';
ALTER TABLE task_events ADD COLUMN fence INTEGER NOT NULL DEFAULT 0;
