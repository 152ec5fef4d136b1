package sqlite

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/ackup/ackup/internal/upgrade"
)

// Column encodings. Times are INTEGER unix nanoseconds (0 for the zero
// time) and come back in UTC; structured values are JSON TEXT.

// toNanos encodes t. The zero time is 0: time.Time{}.UnixNano is outside
// int64's range and would not decode back to the zero time.
func toNanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// fromNanos decodes what toNanos encoded.
func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// toJSON encodes v as JSON text.
func toJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode %T: %w", v, err)
	}
	return string(b), nil
}

// fromJSON decodes JSON text into dst; empty text leaves dst as it is.
func fromJSON(text string, dst any) error {
	if text == "" {
		return nil
	}
	if err := json.Unmarshal([]byte(text), dst); err != nil {
		return fmt.Errorf("decode %T: %w", dst, err)
	}
	return nil
}

// rawText stores a json.RawMessage as TEXT, or NULL when empty.
func rawText(m json.RawMessage) any {
	if len(m) == 0 {
		return nil
	}
	return string(m)
}

// fromRawText decodes what rawText stored.
func fromRawText(s sql.NullString) json.RawMessage {
	if !s.Valid || s.String == "" {
		return nil
	}
	return json.RawMessage(s.String)
}

// utcStages returns a copy of stages with their times in UTC, so that times
// inside the JSON come back in UTC like the columns do.
func utcStages(stages []upgrade.Stage) []upgrade.Stage {
	if stages == nil {
		return nil
	}
	out := make([]upgrade.Stage, len(stages))
	for i, s := range stages {
		s.Start, s.End = utc(s.Start), utc(s.End)
		out[i] = s
	}
	return out
}

// utc is t in UTC, keeping the zero time as it is.
func utc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}
