package api

import (
	"testing"

	"github.com/ackup/ackup/internal/upgrade"
)

// benchStatus is a status body as a running upgrade renders it.
var benchStatus = upgradeStatusBodyOf(upgrade.UpgradeStatus{
	PrecheckReportID: "chk-6f2c9a41d0b84e3f", Status: "running", UpgradeStep: "upgrading", TaskStatus: "running",
	TaskMessage: "upgrading node pool default-nodepool to 1.34.1-aliyun.1: 2 of 5 nodes upgraded; in flight: cn-hangzhou.192.168.0.12 (drain)",
})

// BenchmarkStatusJSON is GetUpgradeStatus's JSON body, rendered into a
// pooled buffer as writeSuccess does.
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

// BenchmarkStatusXMLFromJSON is the same body in XML, for clients that
// send no Accept header (JSON, then converted, as every body is).
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
