package main

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/ackup/ackup/internal/bench"
)

// TestBenchCommands runs `ackup bench` and `ackup bench fleet` at the
// smallest size, on loopback, and checks that their JSON reports hold
// successful loads.
func TestBenchCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("starts servers and runs short loads")
	}
	t.Parallel()
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"bench", "--concurrency", "2", "--duration", "200ms", "--warmup", "100ms",
		"--clusters", "1", "--nodes", "1", "--output", "json"}, &out, &errOut); code != 0 {
		t.Fatalf("ackup bench: exit %d\n%s", code, errOut.String())
	}
	var res bench.Result
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("ackup bench --output json: %v\n%s", err, out.String())
	}
	if res.Ackup.OK == 0 || res.Ackup.OK != res.Ackup.Requests || res.Bare == nil || res.Bare.OK == 0 || res.Ratio <= 0 {
		t.Errorf("ackup bench: %+v", res)
	}

	out.Reset()
	errOut.Reset()
	if code := run(context.Background(), []string{"bench", "fleet", "--clusters", "2", "--nodes", "1", "--sim-speed", "2000",
		"--concurrency", "2", "--windows", "1", "--window", "100ms", "--output", "json"}, &out, &errOut); code != 0 {
		t.Fatalf("ackup bench fleet: exit %d\n%s", code, errOut.String())
	}
	var fleet bench.FleetResult
	if err := json.Unmarshal(out.Bytes(), &fleet); err != nil {
		t.Fatalf("ackup bench fleet --output json: %v\n%s", err, out.String())
	}
	if fleet.Succeeded != 2 || fleet.Failed != 0 || fleet.Elapsed < fleet.Ideal {
		t.Errorf("ackup bench fleet: %+v", fleet)
	}
}
