package storetest

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// Comparison that forgives what a driver may legitimately change and
// nothing else: a time's zone and monotonic reading (equal instants are
// equal), nil versus empty slices and maps, and the spacing and key order of
// JSON documents (a PostgreSQL jsonb column rewrites both).

var (
	timeType = reflect.TypeFor[time.Time]()
	rawType  = reflect.TypeFor[json.RawMessage]()
)

// checkEqual reports, field by field, where got differs from want.
func checkEqual(t *testing.T, what string, want, got any) {
	t.Helper()
	w, g := canon(reflect.ValueOf(want)), canon(reflect.ValueOf(got))
	if diffs := diff(what, w, g); len(diffs) > 0 {
		t.Errorf("%s", strings.Join(diffs, "\n"))
	}
}

// canon returns a normalised deep copy of v.
func canon(v reflect.Value) reflect.Value {
	switch v.Type() {
	case timeType:
		return reflect.ValueOf(v.Interface().(time.Time).UTC().Round(0))
	case rawType:
		return reflect.ValueOf(canonJSON(v.Interface().(json.RawMessage)))
	}
	switch v.Kind() {
	case reflect.Struct:
		out := reflect.New(v.Type()).Elem()
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				out.Field(i).Set(canon(v.Field(i)))
			}
		}
		return out
	case reflect.Slice:
		if v.Len() == 0 {
			return reflect.Zero(v.Type())
		}
		out := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := range v.Len() {
			out.Index(i).Set(canon(v.Index(i)))
		}
		return out
	case reflect.Map:
		if v.Len() == 0 {
			return reflect.Zero(v.Type())
		}
		out := reflect.MakeMapWithSize(v.Type(), v.Len())
		for it := v.MapRange(); it.Next(); {
			out.SetMapIndex(it.Key(), canon(it.Value()))
		}
		return out
	}
	return v
}

// canonJSON re-encodes a JSON document with sorted keys and no spacing;
// empty and null documents become nil.
func canonJSON(m json.RawMessage) json.RawMessage {
	var v any
	if len(m) == 0 || json.Unmarshal(m, &v) != nil {
		return m
	}
	if v == nil {
		return nil
	}
	out, err := json.Marshal(v)
	if err != nil {
		return m
	}
	return out
}

// diff lists the paths at which two canonical values differ.
func diff(path string, w, g reflect.Value) []string {
	if reflect.DeepEqual(w.Interface(), g.Interface()) {
		return nil
	}
	switch {
	case w.Kind() == reflect.Struct && w.Type() != timeType:
		var out []string
		for i := range w.NumField() {
			if w.Type().Field(i).IsExported() {
				out = append(out, diff(path+"."+w.Type().Field(i).Name, w.Field(i), g.Field(i))...)
			}
		}
		return out
	case w.Kind() == reflect.Slice && w.Type() != rawType && w.Len() == g.Len():
		var out []string
		for i := range w.Len() {
			out = append(out, diff(fmt.Sprintf("%s[%d]", path, i), w.Index(i), g.Index(i))...)
		}
		return out
	}
	return []string{fmt.Sprintf("%s:\n\twant %s\n\t got %s", path, show(w), show(g))}
}

func show(v reflect.Value) string {
	switch {
	case v.Type() == rawType || v.Type() == reflect.TypeFor[[]byte]():
		return fmt.Sprintf("%q", v.Bytes())
	case v.Type() == timeType:
		return v.Interface().(time.Time).Format(time.RFC3339Nano)
	}
	return fmt.Sprintf("%+v", v.Interface())
}

// checkUTC reports every non-zero time inside v whose location is not UTC.
func checkUTC(t *testing.T, what string, v any) {
	t.Helper()
	for _, p := range nonUTC(what, reflect.ValueOf(v)) {
		t.Errorf("%s: time not in UTC", p)
	}
}

func nonUTC(path string, v reflect.Value) []string {
	if v.Type() == timeType {
		if tm := v.Interface().(time.Time); !tm.IsZero() && tm.Location() != time.UTC {
			return []string{fmt.Sprintf("%s (%v)", path, tm)}
		}
		return nil
	}
	var out []string
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				out = append(out, nonUTC(path+"."+v.Type().Field(i).Name, v.Field(i))...)
			}
		}
	case reflect.Slice:
		for i := range v.Len() {
			out = append(out, nonUTC(fmt.Sprintf("%s[%d]", path, i), v.Index(i))...)
		}
	}
	return out
}
