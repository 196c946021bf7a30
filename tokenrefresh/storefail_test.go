package tokenrefresh_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/bearer-go/bearer/internal/eventtest"
	"github.com/bearer-go/bearer/internal/fakeclock"
	"github.com/bearer-go/bearer/secret"
	"github.com/bearer-go/bearer/tokenrefresh"
	"golang.org/x/oauth2"
)

// fullDisk is a real FileStore on a disk that may be full: while full,
// Save fails as write(2) does with no space left (ENOSPC).
type fullDisk struct {
	*tokenrefresh.FileStore
	full atomic.Bool
}

func newFullDisk(t *testing.T) *fullDisk {
	t.Helper()
	fs, err := tokenrefresh.NewFileStore(filepath.Join(t.TempDir(), "token.json"))
	if err != nil {
		t.Fatal(err)
	}
	return &fullDisk{FileStore: fs}
}

func (d *fullDisk) Save(ctx context.Context, e *tokenrefresh.Entry) error {
	if d.full.Load() {
		return &fs.PathError{Op: "write", Path: d.Path(), Err: syscall.ENOSPC}
	}
	return d.FileStore.Save(ctx, e)
}

// advanceUntil moves clk to each timer the Refresher's loop parks on until
// the loop has sent an event of kind. A save may be retried between the
// test's steps, when the file store's watch reports a change, and its
// backoff then moves the timer: the test follows whatever the loop plans.
func advanceUntil(t *testing.T, clk *fakeclock.Clock, evs <-chan tokenrefresh.Event, kind tokenrefresh.EventKind) {
	t.Helper()
	for range 20 {
		at := parked(t, clk)
		clk.Advance(at.Sub(clk.Now()))
		parked(t, clk) // the step is over: its events are sent
		for len(evs) > 0 {
			if e := <-evs; e.Kind == kind {
				return
			}
		}
	}
	t.Fatalf("no %v event after 20 of the loop's timers", kind)
}

// refreshTokenOnDisk returns the refresh token the file holds.
func (d *fullDisk) refreshTokenOnDisk(t *testing.T) string {
	t.Helper()
	e, err := d.FileStore.Load(context.Background())
	if err != nil {
		t.Fatalf("Load() = %v", err)
	}
	return e.Token.Reveal().RefreshToken
}

// An answer with an unusable access token and a new refresh token, on a
// full disk, while the token server then goes down: the new refresh
// token, the only live one, is in memory only. It is reported unsaved and
// saved as soon as the disk has room, without waiting for the server, so
// that a restart meanwhile resumes it.
func TestKeptRefreshTokenIsSavedOnceTheDiskHasRoom(t *testing.T) {
	var serverUp atomic.Bool
	clk := newClock()
	src := newSource(func(n int, cur *oauth2.Token) (*oauth2.Token, error) {
		switch {
		case n == 1 && cur.RefreshToken == "r1":
			return &oauth2.Token{AccessToken: "a2", RefreshToken: "r2", Expiry: clk.Now().Add(-time.Minute)}, nil
		case !serverUp.Load():
			return nil, errors.New("503 Service Unavailable")
		case cur.RefreshToken == "r2":
			return &oauth2.Token{AccessToken: "a3", RefreshToken: "r3", Expiry: clk.Now().Add(time.Hour)}, nil
		}
		return nil, tokenrefresh.Permanent(errors.New("invalid_grant: the refresh token was already used"))
	})
	disk := newFullDisk(t)
	disk.full.Store(true)
	obs, evs := eventtest.Channel()
	initial := &oauth2.Token{AccessToken: "a1", RefreshToken: "r1", Expiry: epoch.Add(-time.Second)}
	if err := disk.FileStore.Save(context.Background(), &tokenrefresh.Entry{Token: secret.New(initial), Lineage: tokenrefresh.LineageOf(initial)}); err != nil {
		t.Fatal(err)
	}
	r, _ := setup(t, tokenrefresh.Config{Clock: clk, Initial: secret.New(initial), Store: disk, Observer: obs}, src)
	eventtest.Wait(t, evs, tokenrefresh.Failed)
	if st := r.Status(); !st.Unsaved || !st.StoreUnavailable {
		t.Errorf("Status() with r2 in memory only = %+v; want Unsaved and StoreUnavailable", st)
	}
	disk.full.Store(false)
	advanceUntil(t, clk, evs, tokenrefresh.StoreRecovered)
	if rt := disk.refreshTokenOnDisk(t); rt != "r2" {
		t.Fatalf("the file holds refresh token %q once the disk has room, the server still down; want r2", rt)
	}
	serverUp.Store(true)
	waiter := asyncToken(context.Background(), r)
	// An attempt the server failed while still down is retried.
	for deadline := time.After(waitLimit); ; {
		var ev tokenrefresh.Event
		select {
		case ev = <-evs:
		case <-deadline:
			t.Fatalf("no refresh within %v of the server's return", waitLimit)
		}
		if ev.Kind == tokenrefresh.Failed {
			clk.Advance(ev.Retry.Sub(clk.Now()))
		}
		if ev.Kind == tokenrefresh.Refreshed {
			break
		}
	}
	got(t, waiter, "a3")
	if rt := disk.refreshTokenOnDisk(t); rt != "r3" {
		t.Errorf("the file holds refresh token %q; want r3", rt)
	}
}

// readOnly makes dir read-only for this process, even for root (with
// chattr +i, an immutable directory), until the returned function (also
// run at the test's end) makes it writable again.
func readOnly(t *testing.T, dir string) (writable func()) {
	t.Helper()
	set, unset := exec.Command("chmod", "0500", dir), exec.Command("chmod", "0700", dir)
	if os.Geteuid() == 0 {
		set, unset = exec.Command("chattr", "+i", dir), exec.Command("chattr", "-i", dir)
	}
	if out, err := set.CombinedOutput(); err != nil {
		t.Skipf("cannot make %s read-only here: %v %s", dir, err, out)
	}
	var once sync.Once
	writable = func() {
		once.Do(func() {
			if out, err := unset.CombinedOutput(); err != nil {
				t.Errorf("making %s writable again: %v %s", dir, err, out)
			}
		})
	}
	t.Cleanup(writable)
	return writable
}

// A token file in a directory that became read-only: the rotated token is
// served meanwhile (no caller waits, no second rotation), the failure says
// what to do, and once the directory is writable the token is saved, so
// that a restart resumes it rather than the token it replaced.
func TestReadOnlyDirectoryKeepsTheRotatedTokenUntilItCanBeSaved(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "token.json")
	store, err := tokenrefresh.NewFileStore(path)
	if err != nil {
		t.Fatal(err)
	}
	clk := newClock()
	src := newSource(expiring(clk, time.Hour))
	obs, evs := eventtest.Channel()
	initial := &oauth2.Token{AccessToken: "tok-0", Expiry: epoch.Add(-time.Second)} // expired: rotated at once
	writable := readOnly(t, dir)
	r, _ := setup(t, tokenrefresh.Config{Clock: clk, Store: store, Initial: secret.New(initial), Observer: obs}, src)
	tok := mustToken(t, r)
	for range 2 { // the lock file's failure, then the token file's
		ev := eventtest.Wait(t, evs, tokenrefresh.StoreUnavailable)
		if msg := ev.Err.Error(); !strings.Contains(msg, dir) || !strings.Contains(msg, "permissions") {
			t.Errorf("StoreUnavailable error = %v; want it to name the directory and say to check its permissions", ev.Err)
		}
	}
	if again := mustToken(t, r); again.AccessToken != tok.AccessToken {
		t.Errorf("Token() = %q, then %q; want the rotated token served again", tok.AccessToken, again.AccessToken)
	}
	writable()
	advanceUntil(t, clk, evs, tokenrefresh.StoreRecovered)
	if n := src.Calls(); n != 1 {
		t.Errorf("%d refreshes; want 1: a failed save must not rotate again", n)
	}
	r.Close()
	resumed, _ := setup(t, tokenrefresh.Config{Clock: clk, Store: store, Initial: secret.New(initial)}, newSource(expiring(clk, time.Hour)))
	if got := mustToken(t, resumed); got.AccessToken != tok.AccessToken {
		t.Errorf("after a restart Token() = %q; want the rotated %q from the file", got.AccessToken, tok.AccessToken)
	}
}

// A token whose expiry no record can hold (a JWT exp written in
// milliseconds is in the year 55,840): the record is written all the
// same, with the expiry at the last second it can hold, so the new
// refresh token is kept and a restart resumes it.
func TestAnExpiryBeyondTheYear9999IsStillSaved(t *testing.T) {
	clk := newClock()
	absurd := time.Unix(1_700_000_000_000, 0)
	src := newSource(func(n int, cur *oauth2.Token) (*oauth2.Token, error) {
		return &oauth2.Token{AccessToken: fmt.Sprintf("a%d", n), RefreshToken: fmt.Sprintf("r%d", n), Expiry: absurd}, nil
	})
	disk := newFullDisk(t)
	initial := &oauth2.Token{AccessToken: "a0", RefreshToken: "r0", Expiry: epoch.Add(-time.Second)}
	r, _ := setup(t, tokenrefresh.Config{Clock: clk, Initial: secret.New(initial), Store: disk}, src)
	if tok := mustToken(t, r); tok.AccessToken != "a1" {
		t.Fatalf("Token() = %q; want a1", tok.AccessToken)
	}
	if st := r.Status(); st.Unsaved || st.StoreUnavailable {
		t.Errorf("Status() = %+v; want the token saved", st)
	}
	if rt := disk.refreshTokenOnDisk(t); rt != "r1" {
		t.Errorf("the file holds refresh token %q; want r1", rt)
	}
	e, err := disk.FileStore.Load(context.Background())
	if err != nil || e.Token.Reveal().Expiry.Year() != 9999 {
		t.Errorf("the file's record = %v, %v; want the expiry held as the year 9999", e, err)
	}
}
