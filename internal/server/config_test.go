package server

import (
	"math"
	"path/filepath"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"zero values take the defaults", Config{}, true},
		{"set", Config{SimSpeed: 1000, Lease: time.Second, RateLimit: 5}, true},
		{"negative sim speed", Config{SimSpeed: -1}, false},
		{"NaN sim speed", Config{SimSpeed: math.NaN()}, false},
		{"infinite sim speed", Config{SimSpeed: math.Inf(1)}, false},
		{"negative lease", Config{Lease: -time.Second}, false},
		{"negative rate limit", Config{RateLimit: -1}, false},
		{"NaN rate limit", Config{RateLimit: math.NaN()}, false},
	}
	for _, tt := range tests {
		if err := tt.cfg.Validate(); (err == nil) != tt.ok {
			t.Errorf("%s: Validate() = %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
}

// TestOpenRefusesInvalidConfig checks that Open applies Validate rather
// than turning a bad value into a default, and creates nothing.
func TestOpenRefusesInvalidConfig(t *testing.T) {
	db := filepath.Join(t.TempDir(), "ackup.db")
	s, err := Open(t.Context(), Config{Addr: "127.0.0.1:0", DB: db, SimSpeed: -1})
	if err == nil {
		s.Shutdown(t.Context())
		t.Fatal("Open with a negative sim speed: got nil error")
	}
	if m, _ := filepath.Glob(db + "*"); len(m) > 0 {
		t.Errorf("Open refused the configuration but created %v", m)
	}
}
