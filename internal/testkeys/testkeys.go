// Package testkeys gives tests signing keys, each generated once per test
// binary: a 2048-bit RSA key takes tens of milliseconds, more with -race,
// and one per test would dominate the run time. The keys are for tests
// only; nothing they sign leaves the test.
package testkeys

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"sync"
)

// RSA returns a 2048-bit RSA key, the same on every call.
func RSA() *rsa.PrivateKey { return rsaKey() }

// Ed25519 returns an Ed25519 key, the same on every call.
func Ed25519() ed25519.PrivateKey { return edKey() }

// ECP256 returns an ECDSA key on P-256, the same on every call.
func ECP256() *ecdsa.PrivateKey { return ecKey() }

var (
	rsaKey = sync.OnceValue(func() *rsa.PrivateKey {
		return must(rsa.GenerateKey(rand.Reader, 2048))
	})
	edKey = sync.OnceValue(func() ed25519.PrivateKey {
		_, k, err := ed25519.GenerateKey(rand.Reader)
		return must(k, err)
	})
	ecKey = sync.OnceValue(func() *ecdsa.PrivateKey {
		return must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))
	})
)

// must returns k, or panics: the system's random source failed, and no
// test can run.
func must[K any](k K, err error) K {
	if err != nil {
		panic("testkeys: generate a key: " + err.Error())
	}
	return k
}
