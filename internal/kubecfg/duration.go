package kubecfg

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// Durations are written in Go's syntax ("10m0s") so that a configuration
// file reads naturally; a number is read as nanoseconds too.

func durationJSON(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return d.String()
}

func parseDurationJSON(field string, raw json.RawMessage) (time.Duration, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return 0, nil
	}
	var s string
	if raw[0] == '"' {
		if err := json.Unmarshal(raw, &s); err != nil {
			return 0, err
		}
		if s == "" {
			return 0, nil
		}
		d, err := time.ParseDuration(s)
		if err != nil {
			return 0, fmt.Errorf("%s %q is not a duration such as 10m or 1h30m", field, s)
		}
		return d, nil
	}
	var n int64
	if err := json.Unmarshal(raw, &n); err != nil {
		return 0, fmt.Errorf("%s must be a duration such as \"10m\"", field)
	}
	return time.Duration(n), nil
}

// MarshalJSON writes the timeout as a duration string.
func (a Action) MarshalJSON() ([]byte, error) {
	type plain Action
	return json.Marshal(struct {
		plain
		Timeout string `json:"timeout,omitempty"`
	}{plain(a), durationJSON(a.Timeout)})
}

// UnmarshalJSON reads the timeout as a duration string or nanoseconds.
func (a *Action) UnmarshalJSON(b []byte) error {
	type plain Action
	aux := struct {
		*plain
		Timeout json.RawMessage `json:"timeout,omitempty"`
	}{plain: (*plain)(a)}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	d, err := parseDurationJSON("timeout", aux.Timeout)
	a.Timeout = d
	return err
}

// MarshalJSON writes the timeouts as duration strings.
func (c Config) MarshalJSON() ([]byte, error) {
	type plain Config
	return json.Marshal(struct {
		plain
		DrainTimeout     string `json:"drain_timeout,omitempty"`
		NodeReadyTimeout string `json:"node_ready_timeout,omitempty"`
	}{plain(c), durationJSON(c.DrainTimeout), durationJSON(c.NodeReadyTimeout)})
}

// UnmarshalJSON reads the timeouts as duration strings or nanoseconds.
func (c *Config) UnmarshalJSON(b []byte) error {
	type plain Config
	aux := struct {
		*plain
		DrainTimeout     json.RawMessage `json:"drain_timeout,omitempty"`
		NodeReadyTimeout json.RawMessage `json:"node_ready_timeout,omitempty"`
	}{plain: (*plain)(c)}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	var err error
	if c.DrainTimeout, err = parseDurationJSON("drain_timeout", aux.DrainTimeout); err != nil {
		return err
	}
	c.NodeReadyTimeout, err = parseDurationJSON("node_ready_timeout", aux.NodeReadyTimeout)
	return err
}
