package testkeys_test

import (
	"crypto/elliptic"
	"testing"

	"github.com/bearer-go/bearer/internal/testkeys"
)

func TestKeysAreValidAndGeneratedOnce(t *testing.T) {
	if k := testkeys.RSA(); k.N.BitLen() != 2048 || k.Validate() != nil || k != testkeys.RSA() {
		t.Errorf("RSA() = a %d-bit key (valid: %v), the same twice: %v; want one valid 2048-bit key",
			k.N.BitLen(), k.Validate(), k == testkeys.RSA())
	}
	if k := testkeys.ECP256(); k.Curve != elliptic.P256() || k != testkeys.ECP256() {
		t.Errorf("ECP256() is on %v, the same twice: %v; want one P-256 key", k.Curve.Params().Name, k == testkeys.ECP256())
	}
	if k := testkeys.Ed25519(); len(k) != 64 || &k[0] != &testkeys.Ed25519()[0] {
		t.Errorf("Ed25519() is %d bytes, the same twice: %v; want one 64-byte key", len(k), &k[0] == &testkeys.Ed25519()[0])
	}
}
