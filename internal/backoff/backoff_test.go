package backoff

import (
	"math/rand/v2"
	"testing"
	"time"
)

func TestExponential(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	tests := []struct {
		n        int
		min, max time.Duration
	}{
		{1, 500 * time.Millisecond, time.Second},
		{2, time.Second, 2 * time.Second},
		{3, 2 * time.Second, 4 * time.Second},
		{10, 5 * time.Second, 10 * time.Second}, // capped at hi
		{1000, 5 * time.Second, 10 * time.Second},
	}
	for _, tt := range tests {
		for range 100 {
			if d := Exponential(time.Second, 10*time.Second, tt.n, rnd); d < tt.min || d > tt.max {
				t.Fatalf("Exponential(1s, 10s, %d) = %v; want within [%v, %v]", tt.n, d, tt.min, tt.max)
			}
		}
	}
	if d := Exponential(0, time.Second, 3, nil); d != 0 {
		t.Errorf("Exponential(0, 1s, 3) = %v; want 0", d)
	}
}
