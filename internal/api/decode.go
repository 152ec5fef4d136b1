package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/ackup/ackup/internal/upgrade"
)

// Request bodies are decoded into a generic tree first and then read field
// by field, which lets every error name the field with its full path
// ("nodepools[1].scaling_group.desired_size") and lets the reader be as
// tolerant as the SDK's fuzzy converter: a number sent as a string ("1") is
// an integer, a number is a string, "true"/"false" are booleans. Unknown
// fields are ignored; null counts as absent.

// jsonObject is a decoded JSON object with its path for messages. The
// first error met is kept in the shared slot err; later reads return zero
// values, so a decoder reads everything and checks once.
type jsonObject struct {
	m      map[string]any
	prefix string
	err    *error
}

// decodeObject parses a request body that must be a JSON object; an empty
// body is an empty object (the SDK sends none when no field is set).
func decodeObject(body []byte) (jsonObject, error) {
	var slot error
	o := jsonObject{m: map[string]any{}, err: &slot}
	if len(bytes.TrimSpace(body)) == 0 {
		return o, nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return o, malformed(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return o, upgrade.Invalidf("the request body is not valid JSON: unexpected data after the top-level value")
	}
	m, ok := v.(map[string]any)
	if !ok {
		return o, upgrade.Invalidf("the request body must be a JSON object, got %s", describe(v))
	}
	o.m = m
	return o, nil
}

func malformed(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return upgrade.Invalidf("the request body is not valid JSON (at byte %d): %v", se.Offset, se)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return upgrade.Invalidf("the request body is not valid JSON: it ends too early")
	}
	return upgrade.Invalidf("the request body is not valid JSON: %v", err)
}

// Err returns the first error met while reading.
func (o jsonObject) Err() error { return *o.err }

func (o jsonObject) name(key string) string { return o.prefix + key }

func (o jsonObject) fail(err error) {
	if *o.err == nil {
		*o.err = err
	}
}

func (o jsonObject) get(key string) (any, bool) {
	v, ok := o.m[key]
	return v, ok && v != nil && *o.err == nil
}

func (o jsonObject) wrongType(key, want string, v any) {
	o.fail(upgrade.Invalidf("%s must be %s, got %s", o.name(key), want, describe(v)))
}

// str returns a string field ("" when absent).
func (o jsonObject) str(key string) string {
	v, ok := o.get(key)
	if !ok {
		return ""
	}
	s, ok := toString(v)
	if !ok {
		o.wrongType(key, "a string", v)
	}
	return s
}

// integer returns an integer field within [lo, hi]; set reports presence.
func (o jsonObject) integer(key string, lo, hi int64) (n int64, set bool) {
	v, ok := o.get(key)
	if !ok {
		return 0, false
	}
	n, ok = toInt(v)
	switch {
	case !ok:
		o.wrongType(key, "an integer", v)
		return 0, false
	case n < lo || n > hi:
		o.fail(upgrade.Invalidf("%s must be between %d and %d, got %d", o.name(key), lo, hi, n))
		return 0, false
	}
	return n, true
}

// optInt returns an integer field that fits an int32 (as the SDK's
// fields do), nil when absent; the domain checks its range.
func (o jsonObject) optInt(key string) *int {
	n, ok := o.integer(key, math.MinInt32, math.MaxInt32)
	if !ok {
		return nil
	}
	v := int(n)
	return &v
}

// boolean returns a boolean field (false when absent).
func (o jsonObject) boolean(key string) bool {
	v, ok := o.get(key)
	if !ok {
		return false
	}
	b, ok := toBool(v)
	if !ok {
		o.wrongType(key, "a boolean", v)
	}
	return b
}

// strs returns an array-of-strings field.
func (o jsonObject) strs(key string) []string {
	v, ok := o.get(key)
	if !ok {
		return nil
	}
	arr, ok := v.([]any)
	if !ok {
		o.wrongType(key, "an array of strings", v)
		return nil
	}
	out := make([]string, 0, len(arr))
	for i, e := range arr {
		s, ok := toString(e)
		if !ok {
			o.fail(upgrade.Invalidf("%s[%d] must be a string, got %s", o.name(key), i, describe(e)))
			return nil
		}
		out = append(out, s)
	}
	return out
}

// strMap returns an object-of-strings field.
func (o jsonObject) strMap(key string) map[string]string {
	v, ok := o.get(key)
	if !ok {
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		o.wrongType(key, "an object of strings", v)
		return nil
	}
	out := make(map[string]string, len(m))
	for k, e := range m {
		if e == nil {
			continue
		}
		s, ok := toString(e)
		if !ok {
			if b, isBool := e.(bool); isBool {
				s, ok = strconv.FormatBool(b), true
			}
		}
		if !ok {
			o.fail(upgrade.Invalidf("%s.%s must be a string, got %s", o.name(key), k, describe(e)))
			return nil
		}
		out[k] = s
	}
	return out
}

// object returns a nested object field.
func (o jsonObject) object(key string) jsonObject {
	sub := jsonObject{m: map[string]any{}, prefix: o.name(key) + ".", err: o.err}
	v, ok := o.get(key)
	if !ok {
		return sub
	}
	m, ok := v.(map[string]any)
	if !ok {
		o.wrongType(key, "an object", v)
		return sub
	}
	sub.m = m
	return sub
}

// objects returns an array-of-objects field.
func (o jsonObject) objects(key string) []jsonObject {
	v, ok := o.get(key)
	if !ok {
		return nil
	}
	arr, ok := v.([]any)
	if !ok {
		o.wrongType(key, "an array of objects", v)
		return nil
	}
	out := make([]jsonObject, 0, len(arr))
	for i, e := range arr {
		m, ok := e.(map[string]any)
		if !ok {
			o.fail(upgrade.Invalidf("%s[%d] must be an object, got %s", o.name(key), i, describe(e)))
			return nil
		}
		out = append(out, jsonObject{m: m, prefix: o.name(key) + "[" + strconv.Itoa(i) + "].", err: o.err})
	}
	return out
}

func toString(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case json.Number:
		return v.String(), true
	}
	return "", false
}

// toInt accepts a JSON number or a string holding one, as long as it is a
// whole number that fits in an int64.
func toInt(v any) (int64, bool) {
	var s string
	switch v := v.(type) {
	case json.Number:
		s = v.String()
	case string:
		s = strings.TrimSpace(v)
	default:
		return 0, false
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, false
	}
	return int64(f), true
}

func toBool(v any) (bool, bool) {
	switch v := v.(type) {
	case bool:
		return v, true
	case string:
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		return b, err == nil
	case json.Number:
		switch v.String() {
		case "0":
			return false, true
		case "1":
			return true, true
		}
	}
	return false, false
}

// describe names a JSON value's type for an error message.
func describe(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case string:
		if len(v) > 40 {
			v = v[:40] + "..."
		}
		return "the string " + strconv.Quote(v)
	case json.Number:
		return "the number " + v.String()
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return "an unexpected value"
}

// validateParams checks the path and query parameters against the route
// table: required ones present, enums respected, integers and booleans well
// formed and in range. Unknown query parameters are ignored.
func (c *call) validateParams() error {
	for i := range c.op.Params {
		p := &c.op.Params[i]
		var v string
		switch p.In {
		case "path":
			v = c.path(p.Name)
		case "query":
			if c.query == nil {
				q, err := url.ParseQuery(c.r.URL.RawQuery)
				if err != nil {
					return upgrade.Invalidf("the query string is malformed: %v", err)
				}
				c.query = q
			}
			v = c.query.Get(p.Name)
		default:
			continue
		}
		if err := checkParam(p, v); err != nil {
			return err
		}
	}
	return nil
}

func checkParam(p *Param, v string) error {
	if v == "" {
		if p.Required {
			return upgrade.Missingf("%s is required", p.Name)
		}
		return nil
	}
	if len(p.Enum) > 0 && !slices.Contains(p.Enum, v) {
		return upgrade.Invalidf("%s %q is not allowed; allowed values: %s", p.Name, v, strings.Join(p.Enum, ", "))
	}
	switch p.Type {
	case "integer":
		n, err := strconv.ParseInt(v, 10, 64)
		switch {
		case err != nil && p.Min != nil && p.Max != nil:
			return upgrade.Invalidf("%s must be an integer from %d to %d, got %q", p.Name, *p.Min, *p.Max, v)
		case err != nil:
			return upgrade.Invalidf("%s must be an integer, got %q", p.Name, v)
		case p.Min != nil && p.Max != nil && (n < *p.Min || n > *p.Max):
			return upgrade.Invalidf("%s must be an integer from %d to %d, got %d", p.Name, *p.Min, *p.Max, n)
		}
	case "boolean":
		if _, err := strconv.ParseBool(v); err != nil {
			return upgrade.Invalidf("%s must be true or false, got %q", p.Name, v)
		}
	}
	return nil
}

// queryInt returns a validated integer query parameter, or its default.
func (c *call) queryInt(name string, def int) int {
	if v := c.query.Get(name); v != "" {
		n, _ := strconv.Atoi(v) // validated by validateParams
		return n
	}
	return def
}

// queryBool returns a validated boolean query parameter (false if absent).
func (c *call) queryBool(name string) bool {
	b, _ := strconv.ParseBool(c.query.Get(name))
	return b
}
