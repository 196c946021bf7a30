package tokenrefresh_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bearer-go/bearer/internal/eventtest"
	"github.com/bearer-go/bearer/secret"
	"github.com/bearer-go/bearer/tokenrefresh"
	"golang.org/x/oauth2"
)

func TestFileStoreRoundTripIsPrivateAndAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "token.json")
	fs, err := tokenrefresh.NewFileStore(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := fs.Load(ctx); !errors.Is(err, tokenrefresh.ErrNoToken) {
		t.Fatalf("Load() of a missing file = %v; want ErrNoToken", err)
	}
	want := &tokenrefresh.Entry{
		Token:    secret.New(&oauth2.Token{AccessToken: "a", RefreshToken: "r", TokenType: "Bearer", Expiry: epoch.Add(time.Hour)}),
		Obtained: epoch,
		Lineage:  "L",
	}
	for i := range 3 { // overwrite in place
		if err := fs.Save(ctx, want); err != nil {
			t.Fatalf("Save #%d = %v", i, err)
		}
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("token file mode = %v; want 0600", fi.Mode().Perm())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d files after saves; want only the token file (no temporary files left)", len(entries))
	}
	got, err := fs.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got.Token.Reveal().AccessToken != "a" || got.Token.Reveal().RefreshToken != "r" || !got.Token.Reveal().Expiry.Equal(want.Token.Reveal().Expiry) ||
		!got.Obtained.Equal(epoch) || got.Lineage != "L" || got.Token.Reveal().TokenType != "Bearer" {
		t.Errorf("Load() = %+v %+v; want %+v %+v", got, got.Token, want, want.Token)
	}
}

func TestFileStoreRefusesUnsafeOrBrokenFiles(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	if _, err := tokenrefresh.NewFileStore(filepath.Join(dir, "missing-dir", "t.json")); err == nil {
		t.Error("NewFileStore in a missing directory = nil error")
	}
	if _, err := tokenrefresh.NewFileStore(""); err == nil {
		t.Error(`NewFileStore("") = nil error`)
	}
	open := filepath.Join(dir, "open.json")
	os.WriteFile(open, []byte(`{"access_token":"x"}`), 0o644)
	fs, _ := tokenrefresh.NewFileStore(open)
	if _, err := fs.Load(ctx); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("Load() of a world-readable file = %v; want advice to chmod 600", err)
	}
	const secret = "do-not-print-me-123456"
	broken := filepath.Join(dir, "broken.json")
	os.WriteFile(broken, []byte(`{"access_token":"`+secret), 0o600)
	fs, _ = tokenrefresh.NewFileStore(broken)
	_, err := fs.Load(ctx)
	if err == nil || strings.Contains(err.Error(), secret) || !strings.Contains(err.Error(), "move it aside") {
		t.Errorf("Load() of a torn file = %v; want a clear error without the content", err)
	}
}

func TestRestartResumesTheLineage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "token.json")
	store, _ := tokenrefresh.NewFileStore(path)
	clk := newClock()
	initial := &oauth2.Token{AccessToken: "issued-on-web-page"}

	// First run: rotates once, then "crashes" (closes).
	src := newSource(rotating)
	onRotate, rotated := rotations()
	r, _ := setup(t, tokenrefresh.Config{Clock: clk, Initial: secret.New(initial), Interval: 55 * time.Minute, Store: store, OnRotate: onRotate}, src)
	waitRotation(t, rotated)
	r.Close()

	// Second run, same command line: resumes rot-1, does not reuse the dead initial token.
	src2 := newSource(rotating)
	r2, _ := setup(t, tokenrefresh.Config{Clock: clk, Initial: secret.New(initial), Interval: 55 * time.Minute, Store: store}, src2)
	if tok := mustToken(t, r2); tok.AccessToken != "rot-1" {
		t.Errorf("after restart Token() = %q; want the rotated rot-1", tok.AccessToken)
	}
	if n := src2.Calls(); n != 0 {
		t.Errorf("restart rotated %d times; want 0 (the stored token is not yet due)", n)
	}
	r2.Close()

	// Third run with a newly issued token: a new lineage, the file does not shadow it.
	src3 := newSource(func(n int, cur *oauth2.Token) (*oauth2.Token, error) {
		if cur.AccessToken != "new-from-web" {
			return nil, tokenrefresh.Permanent(errors.New("rotated the wrong token " + cur.AccessToken))
		}
		return &oauth2.Token{AccessToken: "fresh-lineage"}, nil
	})
	onRotate3, rotated3 := rotations()
	setup(t, tokenrefresh.Config{Clock: clk, Initial: secret.New(&oauth2.Token{AccessToken: "new-from-web"}), Interval: 55 * time.Minute, Store: store, OnRotate: onRotate3}, src3)
	if tok := waitRotation(t, rotated3); tok.AccessToken != "fresh-lineage" {
		t.Errorf("new lineage rotated to %q", tok.AccessToken)
	}
}

// recordingStore wraps a MemoryStore, can be made to fail, and checks that
// a token is saved before anyone can be served it.
type recordingStore struct {
	tokenrefresh.MemoryStore
	mu    sync.Mutex // guards fail, saves
	fail  bool
	saves int
}

func (s *recordingStore) Save(ctx context.Context, e *tokenrefresh.Entry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail {
		return errors.New("disk full")
	}
	s.saves++
	return s.MemoryStore.Save(ctx, e)
}

func (s *recordingStore) setFail(v bool) {
	s.mu.Lock()
	s.fail = v
	s.mu.Unlock()
}

func TestTokenIsSavedBeforeItIsPublished(t *testing.T) {
	store := &recordingStore{}
	clk := newClock()
	saved := make(chan bool, 1)
	onRotate := func(_, n *oauth2.Token) {
		e, err := store.MemoryStore.Load(context.Background())
		saved <- err == nil && e.Token.Reveal().AccessToken == n.AccessToken
	}
	src := newSource(expiring(clk, time.Hour))
	setup(t, tokenrefresh.Config{Clock: clk, Store: store, OnRotate: onRotate}, src)
	select {
	case ok := <-saved:
		if !ok {
			t.Error("a token was published before the store held it")
		}
	case <-time.After(waitLimit):
		t.Fatal("no rotation")
	}
}

func TestFailedSaveKeepsTokenAndRetries(t *testing.T) {
	store := &recordingStore{fail: true}
	clk := newClock()
	src := newSource(expiring(clk, time.Hour))
	obs, evs := eventtest.Channel()
	r, _ := setup(t, tokenrefresh.Config{Clock: clk, Store: store, Observer: obs}, src)
	tok := mustToken(t, r) // published although the save failed
	eventtest.Wait(t, evs, tokenrefresh.Refreshed)
	st := r.Status()
	if !st.Unsaved || st.Healthy || !strings.Contains(st.LastError, "disk full") {
		t.Errorf("Status() with a failing store = %+v; want unhealthy, naming the failure", st)
	}
	store.setFail(false)
	now := clk.Now()
	at := awaitTimer(t, clk, "save retry", func(d time.Time) bool { return d.After(now) && d.Before(now.Add(time.Minute)) })
	clk.Advance(at.Sub(now))
	eventtest.Wait(t, evs, tokenrefresh.StoreRecovered)
	if st := r.Status(); !st.Healthy {
		t.Errorf("Status() after the save = %+v; want healthy", st)
	}
	e, err := store.Load(context.Background())
	if err != nil || e.Token.Reveal().AccessToken != tok.AccessToken {
		t.Errorf("store after recovery = %v, %v; want %q", e, err, tok.AccessToken)
	}
	if n := src.Calls(); n != 1 {
		t.Errorf("refresh called %d times; a failed save must not fetch a new token", n)
	}
}

func TestInitialTokenIsSavedToAnEmptyStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "token.json")
	store, _ := tokenrefresh.NewFileStore(path)
	src := newSource(rotating)
	initial := &oauth2.Token{AccessToken: "from-the-browser", Expiry: epoch.Add(time.Hour)}
	setup(t, tokenrefresh.Config{Initial: secret.New(initial), Store: store}, src)
	e, err := store.Load(context.Background())
	if err != nil || e.Token.Reveal().AccessToken != "from-the-browser" || e.Lineage != tokenrefresh.LineageOf(initial) {
		t.Fatalf("store after New = %+v, %v; want the initial token, saved before any refresh", e, err)
	}
	if n := src.Calls(); n != 0 {
		t.Errorf("refresh called %d times; the initial token is fresh", n)
	}
}

func TestEntryRecordRoundTripNeverQuotesBadInput(t *testing.T) {
	in := tokenrefresh.Entry{
		Token:    secret.New(&oauth2.Token{AccessToken: "a", TokenType: "Bearer", RefreshToken: "r", Expiry: epoch.Add(time.Hour)}),
		Obtained: epoch,
		Lineage:  "L",
	}
	data, err := in.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var out tokenrefresh.Entry
	if err := out.UnmarshalBinary(data); err != nil {
		t.Fatal(err)
	}
	got, want := out.Token.Reveal(), in.Token.Reveal()
	if got.AccessToken != "a" || got.RefreshToken != "r" || !got.Expiry.Equal(want.Expiry) ||
		!out.Obtained.Equal(epoch) || out.Lineage != "L" || got.TokenType != "Bearer" {
		t.Errorf("round trip = %+v %+v; want %+v %+v", out, got, in, want)
	}
	const canaryToken = "half-a-token-0123456789"
	for _, bad := range []string{`{"access_token":"` + canaryToken, `{"refresh_token":"` + canaryToken + `"}`, `[]`} {
		err := out.UnmarshalBinary([]byte(bad))
		if err == nil || strings.Contains(err.Error(), canaryToken) {
			t.Errorf("UnmarshalBinary(%q) = %v; want an error that does not quote the input", bad, err)
		}
	}
	if _, err := (tokenrefresh.Entry{}).MarshalBinary(); err == nil {
		t.Error("MarshalBinary of an entry without a token = nil error")
	}
	// json.Marshal is not the record: it prints the token as REDACTED.
	if js, _ := json.Marshal(in); strings.Contains(string(js), `"a"`) || !strings.Contains(string(js), "REDACTED") {
		t.Errorf("json.Marshal(Entry) = %s; want the token REDACTED", js)
	}
}

// A token file written by the first release (format 1, before Due and
// InDoubt), whose token expired while the program was stopped: the
// restart resumes that lineage rather than the configured token it
// started from, never serves the expired token, and refreshes with the
// stored refresh token; the file then holds the new one.
func TestAnExpiredTokenFromAnOlderRecordIsRefreshedNotServed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "token.json")
	original := &oauth2.Token{AccessToken: "first-access", RefreshToken: "r0"}
	record := `{"format":1,"access_token":"a5","token_type":"Bearer","refresh_token":"r5",` +
		`"expiry":"2026-11-23T11:00:00Z","obtained":"2026-11-23T10:00:00Z","lineage":"` + tokenrefresh.LineageOf(original) + `"}`
	if err := os.WriteFile(path, []byte(record), 0o600); err != nil {
		t.Fatal(err)
	}
	store, err := tokenrefresh.NewFileStore(path)
	if err != nil {
		t.Fatal(err)
	}
	clk := newClock() // noon: the stored token expired an hour ago
	src := newSource(func(n int, cur *oauth2.Token) (*oauth2.Token, error) {
		if cur.RefreshToken != "r5" {
			return nil, tokenrefresh.Permanent(fmt.Errorf("invalid_grant: refresh token %q was rotated away", cur.RefreshToken))
		}
		return &oauth2.Token{AccessToken: "a6", RefreshToken: "r6", Expiry: clk.Now().Add(time.Hour)}, nil
	})
	r, _ := setup(t, tokenrefresh.Config{Clock: clk, Store: store, Initial: secret.New(original)}, src)
	if tok := mustToken(t, r); tok.AccessToken != "a6" {
		t.Fatalf("Token() = %q; want a6, refreshed from the stored r5", tok.AccessToken)
	}
	if e, err := store.Load(context.Background()); err != nil || e.Token.Reveal().RefreshToken != "r6" {
		t.Errorf("the file holds %v, %v; want refresh token r6", e, err)
	}
}
