package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"sigs.k8s.io/yaml"
)

// maxWidth is the width every table and field list fits in, so that output
// reads on an 80-column terminal.
const maxWidth = 80

// printer writes a command's result in the chosen format: JSON and YAML
// render the API's response body with ACK's own field names; the table
// format calls the command's renderer.
type printer struct {
	w      io.Writer
	format string // "", "table", "json" or "yaml"
}

// structured reports whether the output is JSON or YAML.
func (p printer) structured() bool { return p.format == "json" || p.format == "yaml" }

// emit writes v as JSON or YAML, or calls table for the table format.
func (p printer) emit(v any, table func(w io.Writer)) error {
	switch p.format {
	case "json":
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return fmt.Errorf("encode JSON: %w", err)
		}
		_, err = fmt.Fprintf(p.w, "%s\n", b)
		return err
	case "yaml":
		b, err := yaml.Marshal(v)
		if err != nil {
			return fmt.Errorf("encode YAML: %w", err)
		}
		_, err = p.w.Write(b)
		return err
	}
	table(p.w)
	return nil
}

// emitList is emit for a list body: the SDK's models drop an empty list
// from JSON, so key is put back as [] for scripts that iterate it.
func (p printer) emitList(v any, key string, table func(w io.Writer)) error {
	if !p.structured() {
		return p.emit(v, table)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode JSON: %w", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("decode JSON: %w", err)
	}
	if m == nil {
		m = map[string]any{}
	}
	if _, ok := m[key]; !ok {
		m[key] = []any{}
	}
	return p.emit(m, table)
}

// column is a table column. Columns marked keep (ids that users copy) are
// never shortened; the others are cut with "…" when the row would pass
// maxWidth.
type column struct {
	title string
	keep  bool
}

// table is a plain-text table that fits maxWidth.
type table struct {
	cols []column
	rows [][]string
}

func newTable(cols ...column) *table { return &table{cols: cols} }

// add appends a row; missing cells are empty.
func (t *table) add(cells ...string) {
	row := make([]string, len(t.cols))
	copy(row, cells)
	t.rows = append(t.rows, row)
}

// widths returns each column's width after shortening the widest
// shortenable columns until the table fits maxWidth.
func (t *table) widths() []int {
	w := make([]int, len(t.cols))
	for i, c := range t.cols {
		w[i] = utf8.RuneCountInString(c.title)
		for _, r := range t.rows {
			w[i] = max(w[i], utf8.RuneCountInString(r[i]))
		}
	}
	for {
		total := 2 * (len(w) - 1)
		for _, x := range w {
			total += x
		}
		over := total - maxWidth
		if over <= 0 {
			return w
		}
		widest := -1
		for i, c := range t.cols {
			if !c.keep && w[i] > minColumn(c) && (widest < 0 || w[i] > w[widest]) {
				widest = i
			}
		}
		if widest < 0 {
			return w // nothing left to shorten
		}
		w[widest] = max(minColumn(t.cols[widest]), w[widest]-over)
	}
}

// minColumn is how narrow a shortenable column may get.
func minColumn(c column) int { return max(utf8.RuneCountInString(c.title), 6) }

// write renders the table.
func (t *table) write(w io.Writer) {
	widths := t.widths()
	line := func(cells []string) {
		var b strings.Builder
		for i, cell := range cells {
			cell = truncate(cell, widths[i])
			b.WriteString(cell)
			if i < len(cells)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(cell)+2))
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
	titles := make([]string, len(t.cols))
	for i, c := range t.cols {
		titles[i] = c.title
	}
	line(titles)
	for _, r := range t.rows {
		line(r)
	}
}

// truncate shortens s to at most n runes, marking the cut with "…".
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	if n <= 1 {
		return string([]rune(s)[:max(n, 0)])
	}
	return string([]rune(s)[:n-1]) + "…"
}

// field is one line of a field list: a label and its value.
type field struct{ label, value string }

// writeFields renders "Label:  value" lines, wrapping long values under
// themselves so that every line fits maxWidth; a long id goes whole on the
// next line instead. Empty values are skipped.
func writeFields(w io.Writer, fields ...field) {
	lw := 0
	for _, f := range fields {
		lw = max(lw, utf8.RuneCountInString(f.label)+1)
	}
	for _, f := range fields {
		if f.value == "" {
			continue
		}
		label := f.label + ":"
		if n := utf8.RuneCountInString(f.value); n > maxWidth-lw-2 && n <= maxWidth-2 && !strings.ContainsAny(f.value, " \n") {
			// A long id stays whole, for copying, on a line of its own.
			fmt.Fprintf(w, "%s\n  %s\n", label, f.value)
			continue
		}
		lines := wrap(f.value, maxWidth-lw-2)
		for i, l := range lines {
			if i > 0 {
				label = ""
			}
			fmt.Fprintf(w, "%-*s  %s\n", lw, label, l)
		}
	}
}

// wrap breaks s into lines of at most n runes, at spaces where it can.
func wrap(s string, n int) []string {
	n = max(n, 10)
	var lines []string
	for _, para := range strings.Split(s, "\n") {
		line := ""
		for _, word := range strings.Fields(para) {
			for utf8.RuneCountInString(word) > n {
				if line != "" {
					lines, line = append(lines, line), ""
				}
				r := []rune(word)
				lines, word = append(lines, string(r[:n])), string(r[n:])
			}
			switch {
			case line == "":
				line = word
			case utf8.RuneCountInString(line)+1+utf8.RuneCountInString(word) <= n:
				line += " " + word
			default:
				lines, line = append(lines, line), word
			}
		}
		lines = append(lines, line)
	}
	return lines
}

// shortTime renders an API timestamp (RFC 3339, or ACK's "2006-01-02
// 15:04:05", or epoch milliseconds) as local "2006-01-02 15:04:05"; text it
// cannot parse is returned unchanged.
func shortTime(s string) string {
	if t, ok := parseAPITime(s); ok {
		return t.Local().Format(time.DateTime)
	}
	return s
}

// parseAPITime parses the timestamp forms the API uses.
func parseAPITime(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, time.DateTime} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	var ms int64
	if _, err := fmt.Sscanf(s, "%d", &ms); err == nil && len(s) >= 12 {
		return time.UnixMilli(ms), true
	}
	return time.Time{}, false
}

// str dereferences an SDK string pointer.
func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
