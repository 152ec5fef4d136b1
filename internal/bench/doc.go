// Package bench measures ackup under load, the way `ackup bench` and
// `ackup bench fleet` report it.
//
// Run is the load generator: it signs GetUpgradeStatus requests beforehand
// with the official Alibaba Cloud SDK (each with a fresh nonce and date, so
// the server's replay protection stays on), then replays them over
// keep-alive connections at a fixed concurrency for a fixed time and
// reports throughput and latency percentiles. In the same run it replays
// the same requests against a bare net/http handler that answers the same
// bytes without authentication or store: the floor no implementation can
// beat on this machine, so every throughput is also given as a ratio to it.
//
// RunFleet is the fleet-scale run: it starts a server in-process (so that
// its peak memory is the process's), creates N simulated clusters of M
// nodes, starts all their upgrades at once and reports how long the fleet
// took against its ideal simulated time, the engine's pass rate, peak
// memory, and the GetUpgradeStatus load measured in windows while the fleet
// runs.
//
// Latency percentiles are exact: every request's latency is kept (8 bytes
// each) and sorted at the end; nothing is estimated from buckets.
//
// A signed request expires 15 minutes after its date (the server's window).
// Requests are signed just before they are used and a run may last at most
// MaxDuration, so none is sent stale.
package bench
