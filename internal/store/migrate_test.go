package store_test

import (
	"testing"
	"testing/fstest"

	"github.com/ackup/ackup/internal/store"
)

func TestLoadMigrations(t *testing.T) {
	file := &fstest.MapFile{Data: []byte("CREATE TABLE t (x integer);")}
	tests := []struct {
		name  string
		files []string
		ok    bool
	}{
		{"in order", []string{"0001_init.sql", "0002_more.sql", "0003_last.sql"}, true},
		{"gap", []string{"0001_init.sql", "0003_last.sql"}, false},
		{"starts at two", []string{"0002_more.sql"}, false},
		{"no topic", []string{"0001.sql"}, false},
		{"short number", []string{"001_init.sql"}, false},
		{"none", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{"migrations/README": &fstest.MapFile{}}
			for _, f := range tt.files {
				fsys["migrations/"+f] = file
			}
			ms, err := store.LoadMigrations(fsys, "migrations")
			if (err == nil) != tt.ok {
				t.Fatalf("LoadMigrations(%v) = %v, %v; want ok=%v", tt.files, ms, err, tt.ok)
			}
			for i, m := range ms {
				if m.Version != i+1 || m.SQL != string(file.Data) || m.Name != tt.files[i][:len(tt.files[i])-len(".sql")] {
					t.Errorf("migration %d = %+v", i, m)
				}
			}
		})
	}
}
