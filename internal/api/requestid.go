package api

import "math/rand/v2"

// newRequestID returns a request id in ACK's form (36 characters,
// upper-case hex in 8-4-4-4-12 groups), with one allocation. The id
// correlates logs and bodies; it need not be unpredictable, so it comes from
// the runtime's per-thread generator rather than crypto/rand, which costs a
// system call per request on some kernels.
func newRequestID() string {
	const digits = "0123456789ABCDEF"
	var b [36]byte
	hi, lo := rand.Uint64(), rand.Uint64()
	j := 0
	for i := range b {
		switch i {
		case 8, 13, 18, 23:
			b[i] = '-'
			continue
		}
		var nib uint64
		if j < 16 {
			nib = hi >> (60 - 4*j) & 0xF
		} else {
			nib = lo >> (60 - 4*(j-16)) & 0xF
		}
		b[i] = digits[nib]
		j++
	}
	return string(b[:])
}
