package tokenrefresh_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/bearer-go/bearer/internal/eventtest"
	"github.com/bearer-go/bearer/secret"
	"github.com/bearer-go/bearer/tokenrefresh"
	"golang.org/x/oauth2"
)

var errRejected = errors.New("401: the token is not active")

// A refresh in doubt (the server may have applied it), then a rejection
// of the old token: the lineage is lost, and said so, not "revoked".
func TestRejectionAfterARefreshInDoubtIsLineageLost(t *testing.T) {
	for _, restart := range []bool{false, true} {
		name := "same process"
		if restart {
			name = "after a restart"
		}
		t.Run(name, func(t *testing.T) {
			clk := newClock()
			store := &tokenrefresh.MemoryStore{}
			doubtful := newSource(func(n int, _ *oauth2.Token) (*oauth2.Token, error) {
				return nil, tokenrefresh.InDoubt(errors.New("503 after the request was sent"))
			})
			rejecting := newSource(func(n int, _ *oauth2.Token) (*oauth2.Token, error) {
				return nil, tokenrefresh.Permanent(errRejected)
			})
			obs, evs := eventtest.Channel()
			cfg := tokenrefresh.Config{Clock: clk, Initial: secret.New(&oauth2.Token{AccessToken: "old"}), Interval: time.Hour, Store: store, Observer: obs}
			src := doubtful
			if !restart {
				src.answer = func(n int, cur *oauth2.Token) (*oauth2.Token, error) {
					if n == 1 {
						return nil, tokenrefresh.InDoubt(errors.New("503 after the request was sent"))
					}
					return nil, tokenrefresh.Permanent(errRejected)
				}
			}
			r, _ := setup(t, cfg, src)
			ev := eventtest.Wait(t, evs, tokenrefresh.Failed)
			if !errors.Is(ev.Err, tokenrefresh.ErrInDoubt) || !r.Status().InDoubt {
				t.Fatalf("Failed event %v, status %+v; want the doubt recorded", ev.Err, r.Status())
			}
			if e, err := store.Load(context.Background()); err != nil || !e.InDoubt || e.Token.Reveal().AccessToken != "old" {
				t.Fatalf("store holds %+v, %v; want the old token marked in doubt", e, err)
			}
			if restart {
				r.Close()
				r, _ = setup(t, cfg, rejecting)
			} else {
				clk.Advance(ev.Retry.Sub(clk.Now()))
			}
			err := waitLost(t, r)
			if ev := eventtest.Wait(t, evs, tokenrefresh.Lost); !errors.Is(ev.Err, tokenrefresh.ErrLineageLost) {
				t.Errorf("Lost event error = %v; want ErrLineageLost", ev.Err)
			}
			if !errors.Is(err, tokenrefresh.ErrLineageLost) || !errors.Is(err, errRejected) || !tokenrefresh.IsPermanent(err) {
				t.Errorf("Err() = %v; want ErrLineageLost, matching the rejection, permanent", err)
			}
			if !strings.Contains(err.Error(), "never arrived") {
				t.Errorf("Err() = %q; want it to say the answer never arrived", err)
			}
		})
	}
}

// A rejection without doubt is a plain rejection; a success clears the
// doubt, in memory and in the store.
func TestSuccessClearsTheDoubt(t *testing.T) {
	clk := newClock()
	store := &tokenrefresh.MemoryStore{}
	src := newSource(func(n int, cur *oauth2.Token) (*oauth2.Token, error) {
		switch n {
		case 1:
			return nil, tokenrefresh.InDoubt(errors.New("timeout after sending"))
		case 2:
			return &oauth2.Token{AccessToken: "new"}, nil
		}
		return nil, tokenrefresh.Permanent(errRejected)
	})
	obs, evs := eventtest.Channel()
	r, _ := setup(t, tokenrefresh.Config{Clock: clk, Initial: secret.New(&oauth2.Token{AccessToken: "old"}), Interval: time.Hour,
		Store: store, Observer: obs}, src)
	ev := eventtest.Wait(t, evs, tokenrefresh.Failed)
	clk.Advance(ev.Retry.Sub(clk.Now()))
	eventtest.Wait(t, evs, tokenrefresh.Refreshed)
	if e, err := store.Load(context.Background()); err != nil || e.InDoubt || r.Status().InDoubt {
		t.Fatalf("after a success: store %+v, %v, status %+v; want no doubt", e, err, r.Status())
	}
	clk.Advance(time.Hour)
	err := waitLost(t, r)
	if errors.Is(err, tokenrefresh.ErrLineageLost) || !errors.Is(err, errRejected) {
		t.Errorf("Err() = %v; want the plain rejection", err)
	}
}

// The doubt is kept in the record as format 2, which a reader refuses if
// it is newer than it knows.
func TestEntryRecordKeepsTheDoubt(t *testing.T) {
	e := tokenrefresh.Entry{Token: secret.New(&oauth2.Token{AccessToken: "a"}), InDoubt: true}
	data, err := e.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"format":2`) || !strings.Contains(string(data), `"in_doubt":true`) {
		t.Errorf("record %s; want format 2 with in_doubt", data)
	}
	var back tokenrefresh.Entry
	if err := back.UnmarshalBinary(data); err != nil || !back.InDoubt {
		t.Errorf("decoded %+v, %v; want InDoubt", back, err)
	}
	plain, _ := tokenrefresh.Entry{Token: secret.New(&oauth2.Token{AccessToken: "a"})}.MarshalBinary()
	if !strings.Contains(string(plain), `"format":1`) {
		t.Errorf("record without doubt %s; want format 1", plain)
	}
	if err := back.UnmarshalBinary([]byte(`{"format":99,"access_token":"secret-value"}`)); err == nil ||
		strings.Contains(err.Error(), "secret-value") {
		t.Errorf("format 99 decoded with error %v; want a refusal that quotes nothing", err)
	}
}

func TestFailureKindOf(t *testing.T) {
	cause := errors.New("503")
	for err, want := range map[error]tokenrefresh.FailureKind{
		cause:                         tokenrefresh.FailureTemporary,
		tokenrefresh.Permanent(cause): tokenrefresh.FailurePermanent,
		tokenrefresh.InDoubt(cause):   tokenrefresh.FailureInDoubt,
		fmt.Errorf("w: %w", tokenrefresh.InDoubt(cause)): tokenrefresh.FailureInDoubt,
	} {
		if got := tokenrefresh.FailureKindOf(err); got != want {
			t.Errorf("FailureKindOf(%v) = %q; want %q", err, got, want)
		}
	}
}
