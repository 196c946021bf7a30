// Package backoff is the one backoff function of the SDK: the wait before
// a retry, used by the request retries of every client and by the token
// Refresher.
package backoff

import (
	"math/rand/v2"
	"time"
)

// Exponential returns the wait before the retry that follows n
// consecutive failures (n >= 1): lo·2^(n-1), capped at hi, with equal
// jitter (the upper half drawn at random, so that many clients that
// failed together do not retry together). rnd draws the jitter; nil uses
// the global source.
func Exponential(lo, hi time.Duration, n int, rnd *rand.Rand) time.Duration {
	d := lo
	for i := 1; i < n && d < hi; i++ {
		d *= 2
	}
	d = min(d, hi)
	if d <= 0 {
		return 0
	}
	half := d / 2
	var f float64
	if rnd != nil {
		f = rnd.Float64()
	} else {
		f = rand.Float64()
	}
	return half + time.Duration(f*float64(d-half))
}
