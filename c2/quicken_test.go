package c2_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/bearer-go/bearer/c2"
	"github.com/bearer-go/bearer/c2/c2test"
)

// An idle token dies an hour after it was issued. When its rotation keeps
// failing, the retries crowd into the minutes it has left rather than
// slowing down, and the token lives to see the server recover.
func TestRetriesCrowdIntoTheLastMinutesOfAnIdleToken(t *testing.T) {
	e := setup(t, c2test.Options{})
	c := e.newClient(t)
	e.waitRotation(t)
	issued := e.clk.Now()
	e.fake.InjectFault(c2test.Fault{Method: http.MethodPut, Status: http.StatusServiceUnavailable})
	e.clk.Advance(e.nextWake(t).Sub(e.clk.Now()))
	death := issued.Add(c2.TokenLifetime)
	var attempts []time.Duration
	for death.Sub(e.clk.Now()) > time.Minute {
		next := e.nextWake(t)
		if !next.Before(death) {
			t.Fatalf("with %v of the token's life left, the next attempt is planned after it dies", death.Sub(e.clk.Now()))
		}
		e.clk.Advance(next.Sub(e.clk.Now()))
		attempts = append(attempts, e.clk.Now().Sub(issued).Round(time.Second))
	}
	t.Logf("attempts at %v after the token was issued", attempts)
	if len(attempts) < 5 {
		t.Errorf("%d attempts before the last minute of the idle token; want at least 5", len(attempts))
	}
	// The server recovers in the token's last minute: it is still alive.
	next := e.nextWake(t)
	if !next.Before(death) {
		t.Fatalf("the last attempt is planned %v after the token died", next.Sub(death))
	}
	e.fake.ClearFaults()
	e.clk.Advance(next.Sub(e.clk.Now()))
	e.waitRotation(t)
	if st := c.Status(); !st.Healthy {
		t.Errorf("Status() = %+v; want healthy", st)
	}
}
