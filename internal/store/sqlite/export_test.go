package sqlite

import (
	"database/sql"
	"testing"

	"github.com/ackup/ackup/internal/store"
)

// Migrations are the embedded migrations, for the migration suite.
var Migrations = migrations

// OpenMigrator returns the driver's store.Migrator on the file at path,
// on a writer connection of its own closed at cleanup.
func OpenMigrator(t *testing.T, path string) store.Migrator {
	t.Helper()
	db, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return migrator{db}
}
