package secret

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
)

func TestSealOpen(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	b, err := NewBox(key)
	if err != nil {
		t.Fatal(err)
	}
	sealed := b.Seal([]byte("s3cret"))
	if bytes.Contains(sealed, []byte("s3cret")) {
		t.Fatal("sealed value contains the plaintext")
	}
	got, err := b.Open(sealed)
	if err != nil || string(got) != "s3cret" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	other, _ := NewBox(bytes.Repeat([]byte{8}, 32))
	if _, err := other.Open(sealed); err == nil {
		t.Fatal("a different key opened the value")
	}
	sealed[len(sealed)-1] ^= 1
	if _, err := b.Open(sealed); err == nil {
		t.Fatal("a tampered value opened")
	}
}

func TestLoadOrCreateKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ackup.key")
	k1, created, err := LoadOrCreateKey(path)
	if err != nil || !created || len(k1) != 32 {
		t.Fatalf("first load: %v created=%v len=%d", err, created, len(k1))
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, want 0600", fi.Mode().Perm())
	}
	k2, created, err := LoadOrCreateKey(path)
	if err != nil || created || !bytes.Equal(k1, k2) {
		t.Fatalf("second load: %v created=%v equal=%v", err, created, bytes.Equal(k1, k2))
	}
	if err := os.WriteFile(path, []byte("nothex"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadOrCreateKey(path); err == nil {
		t.Fatal("a malformed key file was accepted")
	}
}

func TestFingerprint(t *testing.T) {
	k1, k2 := bytes.Repeat([]byte{1}, KeySize), bytes.Repeat([]byte{2}, KeySize)
	f1 := Fingerprint(k1)
	if f1 != Fingerprint(k1) {
		t.Fatal("the fingerprint of one key changed")
	}
	if f1 == Fingerprint(k2) {
		t.Fatal("two keys have one fingerprint")
	}
	if len(f1) != 64 || bytes.Contains([]byte(f1), []byte(hex.EncodeToString(k1))) {
		t.Fatalf("fingerprint %q is not a 32-byte hex digest apart from the key", f1)
	}
}

func TestDecodeKeyBase64(t *testing.T) {
	key := bytes.Repeat([]byte{9}, KeySize)
	got, err := DecodeKeyBase64(base64.StdEncoding.EncodeToString(key) + "\n")
	if err != nil || !bytes.Equal(got, key) {
		t.Fatalf("DecodeKeyBase64 = %x, %v", got, err)
	}
	for _, bad := range []string{"", "not base64!", base64.StdEncoding.EncodeToString(key[:16])} {
		if _, err := DecodeKeyBase64(bad); err == nil {
			t.Errorf("DecodeKeyBase64(%q) accepted", bad)
		}
	}
}
