package main

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestTableFits(t *testing.T) {
	t.Parallel()
	tab := newTable(column{"CLUSTER ID", true}, column{"NAME", false}, column{"VERSION", true}, column{"MESSAGE", false})
	id := "c" + strings.Repeat("a", 32)
	tab.add(id, strings.Repeat("long-name-", 6), "1.33.3-aliyun.1", strings.Repeat("word ", 30))
	tab.add(id, "short", "1.33.3-aliyun.1", "ok")
	var b strings.Builder
	tab.write(&b)
	out := b.String()
	assertFits(t, out)
	if strings.Count(out, id) != 2 {
		t.Errorf("a kept column was shortened:\n%s", out)
	}
	if !strings.Contains(out, "…") {
		t.Errorf("nothing was marked as cut:\n%s", out)
	}
	// A table that fits is left alone.
	small := newTable(column{"A", false}, column{"B", false})
	small.add("x", "y")
	b.Reset()
	small.write(&b)
	if b.String() != "A  B\nx  y\n" {
		t.Errorf("small table = %q", b.String())
	}
}

func TestTruncateAndWrap(t *testing.T) {
	t.Parallel()
	tests := []struct {
		s    string
		n    int
		want string
	}{
		{"hello", 10, "hello"}, {"hello", 5, "hello"}, {"hello", 4, "hel…"}, {"héllo", 2, "h…"}, {"hello", 1, "h"},
	}
	for _, tc := range tests {
		if got := truncate(tc.s, tc.n); got != tc.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", tc.s, tc.n, got, tc.want)
		}
	}
	long := "pod default/web-0 on node cn-hangzhou.192.168.0.11 cannot be evicted: PodDisruptionBudget default/web allows 0 disruptions " + strings.Repeat("x", 90)
	for _, l := range wrap(long, 40) {
		if utf8.RuneCountInString(l) > 40 {
			t.Errorf("wrapped line of %d runes: %q", utf8.RuneCountInString(l), l)
		}
	}
	if got := strings.Join(wrap(long, 40), " "); strings.ReplaceAll(got, " ", "") != strings.ReplaceAll(long, " ", "") {
		t.Errorf("wrap lost text: %q", got)
	}
	var b strings.Builder
	writeFields(&b, field{"Message", long}, field{"Empty", ""}, field{"State", "running"})
	assertFits(t, b.String())
	if strings.Contains(b.String(), "Empty") || !strings.Contains(b.String(), "State:    running") {
		t.Errorf("fields:\n%s", b.String())
	}
	id := "1795916588225680043-32d42f9f970b0cbb6f3b7481f10b8c20-clustercheck-xxxby"
	b.Reset()
	writeFields(&b, field{"Precheck", id}, field{"Status", "success"})
	if want := "Precheck:\n  " + id + "\nStatus:    success\n"; b.String() != want {
		t.Errorf("long id field =\n%s\nwant\n%s", b.String(), want)
	}
}

func TestCompareVersions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b string
		want int
	}{
		{"1.33.3-aliyun.1", "1.33.1-aliyun.1", 1},
		{"1.9.0-aliyun.1", "1.10.0-aliyun.1", -1},
		{"1.33.3-aliyun.2", "1.33.3-aliyun.1", 1},
		{"1.33.3-aliyun.1", "1.33.3-aliyun.1", 0},
		{"", "1.30.1-aliyun.1", -1},
	}
	for _, tc := range tests {
		if got := compareVersions(tc.a, tc.b); got != tc.want {
			t.Errorf("compareVersions(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestTimes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{{0, "0s"}, {1500 * time.Millisecond, "2s"}, {125 * time.Second, "2m05s"}, {3723 * time.Second, "1h02m03s"}} {
		if got := formatDuration(tc.d); got != tc.want {
			t.Errorf("formatDuration(%s) = %q, want %q", tc.d, got, tc.want)
		}
	}
	want := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, s := range []string{"2024-01-02T03:04:05Z", "2024-01-02T11:04:05+08:00", "2024-01-02 03:04:05", "1704164645000"} {
		got, ok := parseAPITime(s)
		if !ok || !got.Equal(want) {
			t.Errorf("parseAPITime(%q) = %v %v, want %v", s, got, ok, want)
		}
	}
	if _, ok := parseAPITime("soon"); ok {
		t.Error("parseAPITime accepted text")
	}
	if dateOnly("2024-01-02T03:04:05Z") != "2024-01-02" {
		t.Errorf("dateOnly = %q", dateOnly("2024-01-02T03:04:05Z"))
	}
}
