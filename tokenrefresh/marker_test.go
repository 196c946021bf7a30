package tokenrefresh_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bearer-go/bearer/internal/eventtest"
	"github.com/bearer-go/bearer/internal/markertest"
	"github.com/bearer-go/bearer/secret"
	"github.com/bearer-go/bearer/tokenrefresh"
	"golang.org/x/oauth2"
)

// fileStores opens one new token file twice, as two processes would.
func fileStores(t *testing.T) (a, b tokenrefresh.Locker) {
	path := filepath.Join(t.TempDir(), "token.json")
	open := func() tokenrefresh.Locker {
		s, err := tokenrefresh.NewFileStore(path)
		if err != nil {
			t.Fatal(err)
		}
		var store tokenrefresh.Store = s
		l, ok := store.(tokenrefresh.Locker)
		if !ok {
			t.Skip("FileStore has no lock on this system")
		}
		return l
	}
	return open(), open()
}

func TestFileStoreUnsavedRotationKeepsTheGrant(t *testing.T) {
	markertest.UnsavedRotationKeepsTheGrant(t, fileStores)
}

func TestFileStoreDeadHolderIsWaitedForBounded(t *testing.T) {
	markertest.DeadHolderIsWaitedForBounded(t, fileStores)
}

// A record with a rotation marker is format 3 and keeps the marker; one
// of an older format that names a marker has none (no version wrote it).
func TestEntryRecordKeepsTheMarker(t *testing.T) {
	since := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	e := tokenrefresh.Entry{Token: secret.New(&oauth2.Token{AccessToken: "a", RefreshToken: "r"}), Lineage: "l", InDoubt: true,
		Rotating: "0123456789abcdef", RotatingSince: since}
	data, err := e.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"format":3`) {
		t.Errorf("a record with a marker is not format 3")
	}
	var got tokenrefresh.Entry
	if err := got.UnmarshalBinary(data); err != nil {
		t.Fatal(err)
	}
	if got.Rotating != e.Rotating || !got.RotatingSince.Equal(since) || !got.InDoubt {
		t.Errorf("round trip = %+v; want the marker and the doubt kept", got)
	}
	for _, rec := range []string{`{"format":1,"access_token":"a","rotating":"x"}`, `{"format":2,"access_token":"a","in_doubt":true,"rotating":"x"}`} {
		var old tokenrefresh.Entry
		if err := old.UnmarshalBinary([]byte(rec)); err != nil || old.Rotating != "" {
			t.Errorf("UnmarshalBinary(%s) = %v with marker %q; want no error and no marker", rec, err, old.Rotating)
		}
	}
	e.Rotating = ""
	if data, _ := e.MarshalBinary(); !strings.Contains(string(data), `"format":2`) || strings.Contains(string(data), "rotating") {
		t.Errorf("a record in doubt without a marker is not format 2 without a marker")
	}
}

// A marker of this process's own, left by a call that failed while the
// store was away, does not hold up its next attempt; nor does another
// process's marker on an older token than the current one.
func TestOwnMarkerAndMarkerOnAnOlderTokenAreIgnored(t *testing.T) {
	t.Run("own", func(t *testing.T) {
		c := &chain{live: "issued"}
		shared := newSharedStore()
		shared.put(&tokenrefresh.Entry{Token: secret.New(&oauth2.Token{AccessToken: "issued"}), Obtained: epoch})
		clk := newClock()
		var failed atomic.Bool
		src := newSource(func(n int, cur *oauth2.Token) (*oauth2.Token, error) {
			if !failed.Swap(true) {
				shared.setDown(true) // the store goes away with the call: its marker stays
				return nil, errors.New("503 service unavailable")
			}
			return c.rotate(context.Background(), cur)
		})
		obs, evs := eventtest.Channel()
		r, _ := setup(t, tokenrefresh.Config{Clock: clk, Store: lockOnly{shared}, Interval: 55 * time.Minute, Observer: obs}, src)
		clk.Advance(parked(t, clk).Sub(clk.Now()))
		eventtest.Wait(t, evs, tokenrefresh.Failed)
		if e := shared.stored(t); e.Rotating == "" {
			t.Fatalf("the store holds %+v; want the marker of the failed call", e)
		}
		shared.setDown(false)
		now := clk.Now()
		retry := awaitTimer(t, clk, "the retry", func(d time.Time) bool { return d.After(now) })
		if retry.Sub(now) > time.Minute {
			t.Fatalf("retry %v after the failure; want the backoff's, not a wait for its own marker", retry.Sub(now))
		}
		clk.Advance(retry.Sub(now))
		eventtest.Wait(t, evs, tokenrefresh.Refreshed)
		if got := tok(t, r); got != "rot-1" || shared.stored(t).Rotating != "" {
			t.Errorf("serves %q, stored marker %q; want rot-1 saved without a marker", got, shared.stored(t).Rotating)
		}
	})
	t.Run("older token", func(t *testing.T) {
		c := &chain{live: "current"}
		shared := newSharedStore()
		shared.put(&tokenrefresh.Entry{Token: secret.New(&oauth2.Token{AccessToken: "current"}), Obtained: epoch})
		clk := newClock()
		m := join(t, c, lockOnly{shared}, clk, tokenrefresh.Config{Interval: 55 * time.Minute})
		at := parked(t, clk)
		shared.put(&tokenrefresh.Entry{Token: secret.New(&oauth2.Token{AccessToken: "older"}), Obtained: epoch.Add(-time.Hour),
			Rotating: "another-process", RotatingSince: epoch})
		clk.Advance(at.Sub(clk.Now()))
		m.waitToken(t, "rot-1")
		if n := m.src.Calls(); n != 1 {
			t.Errorf("refresh called %d times; want 1, at once", n)
		}
	})
}
