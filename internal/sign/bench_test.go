package sign

import (
	"context"
	"strconv"
	"testing"
	"time"
)

// benchKeys is a Keys that does not allocate, so the benchmarks measure
// the verifier.
type benchKeys struct{}

func (benchKeys) Secret(context.Context, string) (string, bool, error) { return testSecret, true, nil }

// benchVerify verifies the same signed request repeatedly. The nonce store
// is a no-op so that the replay is accepted; BenchmarkNonceUse measures the
// store on its own.
func benchVerify(b *testing.B, r *Request) {
	b.Helper()
	v := &Verifier{Keys: benchKeys{}, Nonces: nopNonces{}, Now: func() time.Time { return specDate }}
	ctx := context.Background()
	if _, err := v.Verify(ctx, r); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(ctx, r); err != nil {
			b.Fatal(err)
		}
	}
}

type nopNonces struct{}

func (nopNonces) Use(context.Context, string, string, time.Time) error { return nil }

func BenchmarkVerifyACS3SHA256(b *testing.B) {
	v := specVectors[1] // V2: POST with a JSON body
	benchVerify(b, parseWire(b, v.wire, v.body))
}

func BenchmarkVerifyACS3SM3(b *testing.B) {
	r := newACS3Request("POST", "/api/v2/clusters/c82e6987e2961451182edacd74faf1234/upgrade", "",
		`{"master_only":true,"next_version":"1.31.1-aliyun.1"}`, specDate)
	signACS3(b, r, nameACS3SM3, testKeyID, testSecret)
	benchVerify(b, r)
}

func BenchmarkVerifyROASHA1(b *testing.B) {
	v := specVectors[7] // V8: legacy POST with a JSON body
	benchVerify(b, parseWire(b, v.wire, v.body))
}

// BenchmarkVerifyACS3Query is the escaping-heavy V6.
func BenchmarkVerifyACS3Query(b *testing.B) {
	v := specVectors[5]
	benchVerify(b, parseWire(b, v.wire, v.body))
}

func BenchmarkNonceUse(b *testing.B) {
	m := NewMemoryNonces(DefaultWindow)
	ctx := context.Background()
	nonces := make([]string, 1<<16)
	for i := range nonces {
		nonces[i] = strconv.FormatUint(uint64(i)*0x9e3779b97f4a7c15, 16)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i++
			// Time advances so that old generations rotate out and the
			// nonces, reused after 64 Ki uses, are fresh again.
			at := specDate.Add(time.Duration(i) * 100 * time.Microsecond)
			_ = m.Use(ctx, testKeyID, nonces[i%len(nonces)], at)
		}
	})
}
