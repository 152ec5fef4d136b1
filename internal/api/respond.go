package api

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// Content types. The slices are shared and assigned directly into header
// maps to save an allocation per response; nothing modifies them.
var (
	jsonContentType     = []string{"application/json;charset=utf-8"}
	xmlContentType      = []string{"application/xml;charset=utf-8"}
	xmlErrorContentType = []string{"text/xml;charset=utf-8"} // the only XML the SDK parses
)

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func getBuf() *bytes.Buffer { return bufPool.Get().(*bytes.Buffer) }

// putBuf returns a buffer to the pool unless it grew large (a big list
// response), so the pool does not pin memory.
func putBuf(b *bytes.Buffer) {
	if b.Cap() > 64<<10 {
		return
	}
	b.Reset()
	bufPool.Put(b)
}

// writeRaw sends a complete response.
func writeRaw(w http.ResponseWriter, status int, contentType []string, body []byte) {
	w.Header()["Content-Type"] = contentType
	w.WriteHeader(status)
	_, _ = w.Write(body) // a failed write means the client is gone; nothing to tell it
}

// writeSuccess encodes an operation's result as JSON or, when the client
// asks for it, XML. A nil result is the empty object {}.
func (s *server) writeSuccess(w http.ResponseWriter, r *http.Request, op *Operation, v any) {
	buf := getBuf()
	defer putBuf(buf)
	if err := appendJSONValue(buf, v); err != nil {
		s.writeError(w, r, err)
		return
	}
	if !wantsXML(r.Header) {
		writeRaw(w, op.SuccessStatus, jsonContentType, buf.Bytes())
		return
	}
	out := getBuf()
	defer putBuf(out)
	if err := jsonToXML(out, op.Name+"Response", buf.Bytes()); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeRaw(w, op.SuccessStatus, xmlContentType, out.Bytes())
}

// wantsXML applies docs/decisions.md's negotiation: XML when Accept asks for
// application/xml or text/xml, or when there is no Accept header (ACK's
// documented default; an empty Accept counts as none); JSON when it asks for
// application/json, application/* or */*. When both are acceptable the
// higher q wins, then the one listed first. An Accept naming neither gets
// JSON: no response is ever 406, and JSON is what every SDK reads.
func wantsXML(h http.Header) bool {
	vals := h["Accept"]
	if len(vals) == 1 && vals[0] == "application/json" {
		return false // what every SDK sends
	}
	jsonQ, xmlQ := -1.0, -1.0
	jsonAt, xmlAt, pos := 0, 0, 0
	empty := true
	for _, v := range vals {
		for part := range strings.SplitSeq(v, ",") {
			mt, params, _ := strings.Cut(part, ";")
			mt = strings.ToLower(strings.TrimSpace(mt))
			if mt == "" {
				continue
			}
			empty = false
			pos++
			q := qValue(params)
			switch mt {
			case "application/json", "application/*", "*/*":
				if q > jsonQ {
					jsonQ, jsonAt = q, pos
				}
			case "application/xml", "text/xml":
				if q > xmlQ {
					xmlQ, xmlAt = q, pos
				}
			}
		}
	}
	switch {
	case empty:
		return true
	case xmlQ <= 0:
		return false
	case jsonQ <= 0:
		return true
	case xmlQ != jsonQ:
		return xmlQ > jsonQ
	}
	return xmlAt < jsonAt
}

// qValue returns the q parameter of a media range's parameters (1 when
// absent or malformed).
func qValue(params string) float64 {
	for p := range strings.SplitSeq(params, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(k), "q") {
			continue
		}
		if q, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && q >= 0 && q <= 1 {
			return q
		}
	}
	return 1
}
