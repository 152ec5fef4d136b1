package api

import (
	"bytes"
	"testing"

	"github.com/ackup/ackup/internal/upgrade"
)

// benchStatus is a status body as a running upgrade renders it.
var benchStatus = upgradeStatusBodyOf(upgrade.UpgradeStatus{
	PrecheckReportID: "chk-6f2c9a41d0b84e3f", Status: "running", UpgradeStep: "upgrading", TaskStatus: "running",
	TaskMessage: "upgrading node pool default-nodepool to 1.34.1-aliyun.1: 2 of 5 nodes upgraded; in flight: cn-hangzhou.192.168.0.12 (drain)",
})

// BenchmarkStatusJSON is GetUpgradeStatus's JSON body, rendered without
// reflection into a pooled buffer as writeSuccess does.
func BenchmarkStatusJSON(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		buf := getBuf()
		if err := appendJSONValue(buf, benchStatus); err != nil {
			b.Fatal(err)
		}
		putBuf(buf)
	}
}

// BenchmarkStatusXML is the same body in XML, for clients that send no
// Accept header, rendered directly as writeSuccess does.
func BenchmarkStatusXML(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		buf := getBuf()
		buf.Write(benchStatus.appendXML(buf.AvailableBuffer(), "GetUpgradeStatusResponse"))
		putBuf(buf)
	}
}

// BenchmarkStatusXMLFromJSON is the generic XML path every other body
// takes (JSON, then converted), for comparison.
func BenchmarkStatusXMLFromJSON(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		buf, out := getBuf(), getBuf()
		if err := appendJSONValue(buf, benchStatus); err != nil {
			b.Fatal(err)
		}
		if err := jsonToXML(out, "GetUpgradeStatusResponse", buf.Bytes()); err != nil {
			b.Fatal(err)
		}
		putBuf(buf)
		putBuf(out)
	}
}

// TestUpgradeStatusXMLMatchesJSONToXML holds the direct XML rendering equal
// to the generic one, for text that needs escaping or replacing.
func TestUpgradeStatusXMLMatchesJSONToXML(t *testing.T) {
	t.Parallel()
	for _, text := range []string{"", "plain", `<a href="x">&amp;</a>`, "line\r\nbreak\ttab", "ctl\x01\x7f", "bad\xffutf8",
		"\u2028sep\u2029", "日本語 ✓", "]]>"} {
		body := upgradeStatusBodyOf(upgrade.UpgradeStatus{ErrorMessage: text, PrecheckReportID: text, Status: "fail",
			UpgradeStep: text, TaskMessage: text, TaskStatus: "Failed"})
		js, err := encodeJSON(body)
		if err != nil {
			t.Fatal(err)
		}
		var want bytes.Buffer
		if err := jsonToXML(&want, "GetUpgradeStatusResponse", js); err != nil {
			t.Fatal(err)
		}
		if got := body.appendXML(nil, "GetUpgradeStatusResponse"); string(got) != want.String() {
			t.Errorf("text %q:\n got %s\nwant %s", text, got, want.String())
		}
	}
}
