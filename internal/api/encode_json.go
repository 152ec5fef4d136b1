package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// jsonAppender is a wire value that renders itself without reflection. Only
// error bodies implement it; everything else goes through encoding/json.
type jsonAppender interface {
	appendJSON(b []byte) []byte
}

// appendJSONValue writes v's JSON encoding to buf: {} for nil, the value's
// own rendering for a jsonAppender, encoding/json otherwise. HTML characters
// are not escaped (like the SDK's own encoder), and there is no trailing
// newline.
func appendJSONValue(buf *bytes.Buffer, v any) error {
	switch v := v.(type) {
	case nil:
		buf.WriteString("{}")
	case jsonAppender:
		buf.Write(v.appendJSON(buf.AvailableBuffer()))
	default:
		enc := json.NewEncoder(buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			return fmt.Errorf("encode %T: %w", v, err)
		}
		buf.Truncate(buf.Len() - 1) // Encode's newline
	}
	return nil
}

// encodeJSON returns v's JSON encoding as appendJSONValue writes it.
func encodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	if err := appendJSONValue(&buf, v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string exactly as encoding/json
// does with SetEscapeHTML(false): quotes, backslashes and control
// characters escaped, invalid UTF-8 replaced by \ufffd, and U+2028/U+2029
// escaped for JavaScript's sake.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
