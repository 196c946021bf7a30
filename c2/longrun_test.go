package c2_test

import (
	"io"
	"testing"
	"time"

	"github.com/bearer-go/bearer/c2"
	"github.com/bearer-go/bearer/c2/c2test"
)

// Days of rotations on the fake clock, with the fake expiring tokens an
// hour after their last use on the same clock: every API request in
// between succeeds, through intervals of work and intervals of idleness.
func TestLongRunRotatesHundredsOfTimesWithoutAFailedRequest(t *testing.T) {
	rotations := 300
	if testing.Short() {
		rotations = 60
	}
	e := setup(t, c2test.Options{ObservationRows: 10})
	c := e.newClient(t)
	e.waitRotation(t)
	requests := 0
	work := func() {
		t.Helper()
		requests += 3
		if _, err := c.Drivers.List(ctx(t)); err != nil {
			t.Fatalf("Drivers.List() at %v = %v", e.clk.Now(), err)
		}
		q := c2.PositionsQuery{PlatformType: "slocum", PlatformSerial: "unit_398", From: e.clk.Now().Add(-time.Hour)}
		if _, err := c.Positions.List(ctx(t), q); err != nil {
			t.Fatalf("Positions.List() at %v = %v", e.clk.Now(), err)
		}
		body, err := c.Observations.CSV(ctx(t), c2.ObservationsQuery{Variables: []string{"sea_water_temperature"},
			PlatformType: "slocum", PlatformSerial: "unit_398"})
		if err != nil {
			t.Fatalf("Observations.CSV() at %v = %v", e.clk.Now(), err)
		}
		io.Copy(io.Discard, body)
		body.Close()
	}
	start := e.clk.Now()
	for i := range rotations {
		next := e.nextWake(t)
		if i%4 != 0 { // every fourth interval is idle: the rotation alone keeps the token alive
			for _, before := range []time.Duration{40 * time.Minute, 10 * time.Minute, time.Second} {
				if at := next.Add(-before); at.After(e.clk.Now()) {
					e.clk.Advance(at.Sub(e.clk.Now()))
					work()
				}
			}
		}
		e.clk.Advance(next.Sub(e.clk.Now()))
		e.waitRotation(t)
		work()
	}
	st := e.fake.Stats()
	t.Logf("%d rotations and %d API requests over %v of fake time", st.Rotations, requests, e.clk.Now().Sub(start).Round(time.Hour))
	if st.Rotations != rotations+1 {
		t.Errorf("server rotated %d times; want %d", st.Rotations, rotations+1)
	}
	if st.Unauthorized != 0 || st.Forbidden != 0 {
		t.Errorf("server answered %d 401s and %d 403s; want none", st.Unauthorized, st.Forbidden)
	}
	if s := c.Status(); !s.Healthy || s.ConsecutiveFailures != 0 {
		t.Errorf("Status() = %+v; want healthy", s)
	}
}
