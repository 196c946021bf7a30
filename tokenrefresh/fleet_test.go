package tokenrefresh_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bearer-go/bearer/internal/eventtest"
	"github.com/bearer-go/bearer/internal/fakeclock"
	"github.com/bearer-go/bearer/secret"
	"github.com/bearer-go/bearer/tokenrefresh"
	"golang.org/x/oauth2"
)

// errStoreDown is what a sharedStore answers while it is down.
var errStoreDown = errors.New("store is down: connection refused")

// sharedStore is an in-memory Locker and Watcher, as a fleet shares, that
// a test can take down and bring back.
type sharedStore struct {
	sem chan struct{} // the lock: holding it is having sent a value

	mu       sync.Mutex // guards mem (the pointer), down, saves, watchers
	mem      *tokenrefresh.MemoryStore
	down     bool
	saves    int
	watchers map[int]func(error)
	nextID   int
	changed  chan struct{} // closed and replaced when watchers change
	saved    chan struct{} // capacity 1: receives after every Save
}

func newSharedStore() *sharedStore {
	return &sharedStore{sem: make(chan struct{}, 1), mem: &tokenrefresh.MemoryStore{}, watchers: map[int]func(error){},
		changed: make(chan struct{}), saved: make(chan struct{}, 1)}
}

func (s *sharedStore) isDown() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.down
}

// memory returns the store's content, bypassing down.
func (s *sharedStore) memory() *tokenrefresh.MemoryStore {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mem
}

func (s *sharedStore) Load(ctx context.Context) (*tokenrefresh.Entry, error) {
	if s.isDown() {
		return nil, errStoreDown
	}
	return s.memory().Load(ctx)
}

func (s *sharedStore) Save(ctx context.Context, e *tokenrefresh.Entry) error {
	s.mu.Lock()
	if s.down {
		s.mu.Unlock()
		return errStoreDown
	}
	s.saves++
	s.mem.Save(ctx, e)
	s.mu.Unlock()
	select {
	case s.saved <- struct{}{}:
	default:
	}
	s.notify(nil)
	return nil
}

func (s *sharedStore) Saves() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.saves
}

func (s *sharedStore) Lock(ctx context.Context) (func() error, error) {
	if s.isDown() {
		return nil, errStoreDown
	}
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	var once sync.Once
	return func() error {
		once.Do(func() { <-s.sem })
		return nil
	}, nil
}

func (s *sharedStore) Watch(ctx context.Context, notify func(error)) error {
	s.mu.Lock()
	s.nextID++
	id := s.nextID
	s.watchers[id] = notify
	s.watchersChangedLocked()
	s.mu.Unlock()
	<-ctx.Done()
	s.mu.Lock()
	delete(s.watchers, id)
	s.watchersChangedLocked()
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sharedStore) watchersChangedLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// awaitWatchers waits until n Refreshers watch the store.
func (s *sharedStore) awaitWatchers(t *testing.T, n int) {
	t.Helper()
	deadline := time.After(waitLimit)
	for {
		s.mu.Lock()
		ok, ch := len(s.watchers) >= n, s.changed
		s.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("fewer than %d Refreshers watch the store", n)
		}
	}
}

func (s *sharedStore) notify(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range s.watchers {
		n(err)
	}
}

// setDown takes the store down or brings it back, and tells the watchers.
func (s *sharedStore) setDown(down bool) {
	s.mu.Lock()
	s.down = down
	s.mu.Unlock()
	if down {
		s.notify(errStoreDown)
	} else {
		s.notify(nil)
	}
}

// put replaces the stored entry behind the Refreshers' backs, and tells
// the watchers; a nil e empties the store.
func (s *sharedStore) put(e *tokenrefresh.Entry) {
	if e == nil {
		s.mu.Lock()
		s.mem = &tokenrefresh.MemoryStore{}
		s.mu.Unlock()
	} else {
		s.memory().Save(context.Background(), e)
	}
	s.notify(nil)
}

func (s *sharedStore) stored(t *testing.T) *tokenrefresh.Entry {
	t.Helper()
	e, err := s.memory().Load(context.Background())
	if err != nil {
		t.Fatalf("the store holds no token: %v", err)
	}
	return e
}

// lockOnly hides a store's Watch, for tests of what a fleet does without
// notifications.
type lockOnly struct{ tokenrefresh.Locker }

// chain is a token server whose rotation kills the old token, as Charon
// and rotating refresh tokens do: rotating any token but the live one is a
// permanent failure, and so is using a dead one.
type chain struct {
	mu   sync.Mutex // guards live, n
	live string
	n    int
}

func (c *chain) rotate(ctx context.Context, cur *oauth2.Token) (*oauth2.Token, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cur == nil || cur.AccessToken != c.live {
		return nil, tokenrefresh.Permanent(errors.New("401: token is not active; issue a new one"))
	}
	c.n++
	c.live = fmt.Sprintf("rot-%d", c.n)
	return &oauth2.Token{AccessToken: c.live}, nil
}

func (c *chain) Rotations() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

func (c *chain) Live() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.live
}

// member is one Refresher of a fleet, with its source, rotations and
// events.
type member struct {
	r       *tokenrefresh.Refresher
	src     *source
	rotated chan *oauth2.Token
	events  chan tokenrefresh.Event
}

// join starts a Refresher on the chain, sharing store and clk.
func join(t *testing.T, c *chain, store tokenrefresh.Store, clk *fakeclock.Clock, cfg tokenrefresh.Config) *member {
	t.Helper()
	src := newSource(func(n int, cur *oauth2.Token) (*oauth2.Token, error) { return c.rotate(context.Background(), cur) })
	onRotate, rotated := rotations()
	obs, evs := eventtest.Channel()
	cfg.Clock, cfg.Store, cfg.OnRotate, cfg.Observer = clk, store, onRotate, obs
	r, _ := setup(t, cfg, src)
	return &member{r: r, src: src, rotated: rotated, events: evs}
}

// waitToken waits until m serves want, from the start or by a rotation.
func (m *member) waitToken(t *testing.T, want string) {
	t.Helper()
	for mustToken(t, m.r).AccessToken != want {
		waitRotation(t, m.rotated)
	}
}

func TestFleetRotatesOncePerIntervalAndTheOthersAdopt(t *testing.T) {
	for _, watch := range []bool{false, true} {
		t.Run(fmt.Sprintf("watch=%v", watch), func(t *testing.T) {
			c := &chain{live: "issued"}
			var store tokenrefresh.Store = newSharedStore()
			if !watch {
				store = lockOnly{store.(tokenrefresh.Locker)}
			}
			clk := newClock()
			cfg := tokenrefresh.Config{Initial: secret.New(&oauth2.Token{AccessToken: "issued"}), Interval: 55 * time.Minute, MaxAge: time.Hour}
			var fleet []*member
			for range 5 {
				fleet = append(fleet, join(t, c, store, clk, cfg))
			}
			const intervals = 10
			for i := 1; i <= intervals; i++ {
				want := fmt.Sprintf("rot-%d", i)
				for _, m := range fleet {
					m.waitToken(t, want)
				}
				if n := c.Rotations(); n != i {
					t.Fatalf("after interval %d the fleet rotated %d times; want %d", i, n, i)
				}
				if i == intervals {
					break
				}
				// Every member plans its next refresh 55 minutes on.
				ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
				err := clk.BlockUntil(ctx, len(fleet))
				cancel()
				if err != nil {
					t.Fatalf("the fleet did not park: %v", err)
				}
				clk.Advance(55 * time.Minute)
			}
			for _, m := range fleet {
				if st := m.r.Status(); !st.Healthy {
					t.Errorf("member status = %+v; want healthy", st)
				}
			}
		})
	}
}

func TestInvalidateReloadsTheStoreBeforeRotating(t *testing.T) {
	c := &chain{live: "issued"}
	store := lockOnly{newSharedStore()} // no notifications: only the 401 tells
	clk := newClock()
	cfg := tokenrefresh.Config{Initial: secret.New(&oauth2.Token{AccessToken: "issued"}), Interval: 55 * time.Minute}
	a := join(t, c, store, clk, cfg)
	a.waitToken(t, "rot-1")
	b := join(t, c, store, clk, cfg) // resumes rot-1 from the store
	if tok := mustToken(t, b.r); tok.AccessToken != "rot-1" {
		t.Fatalf("b started with %q; want rot-1", tok.AccessToken)
	}

	a.r.Invalidate(&oauth2.Token{AccessToken: "rot-1"}) // a rotates to rot-2, killing rot-1
	a.waitToken(t, "rot-2")
	b.r.Invalidate(&oauth2.Token{AccessToken: "rot-1"}) // the server rejects b's rot-1
	if tok := mustToken(t, b.r); tok.AccessToken != "rot-2" {
		t.Errorf("b after a 401 = %q; want rot-2 from the store", tok.AccessToken)
	}
	if n := b.src.Calls(); n != 0 {
		t.Errorf("b called refresh %d times after a 401; want 0: the store had the new token", n)
	}
	if n := c.Rotations(); n != 2 {
		t.Errorf("the fleet rotated %d times; want 2", n)
	}
}

func TestWatchAdoptsATokenRotatedElsewhereAtOnce(t *testing.T) {
	c := &chain{live: "issued"}
	store := newSharedStore()
	clk := newClock()
	cfg := tokenrefresh.Config{Initial: secret.New(&oauth2.Token{AccessToken: "issued"}), Interval: 55 * time.Minute}
	a := join(t, c, store, clk, cfg)
	a.waitToken(t, "rot-1")
	b := join(t, c, store, clk, cfg)
	store.awaitWatchers(t, 2)
	a.r.Invalidate(&oauth2.Token{AccessToken: "rot-1"})
	a.waitToken(t, "rot-2")
	b.waitToken(t, "rot-2") // told by the store, not by a 401 or its schedule
	if ev := eventtest.Wait(t, b.events, tokenrefresh.Adopted); ev.Start != (time.Time{}) || !ev.Retry.IsZero() {
		t.Errorf("b's Adopted event = %+v; want no attempt timed, no plan", ev)
	}
	if n := b.src.Calls(); n != 0 {
		t.Errorf("b called refresh %d times; want 0", n)
	}
	// An older token in the store is not adopted, and is replaced.
	store.put(&tokenrefresh.Entry{Token: secret.New(&oauth2.Token{AccessToken: "rot-1"}), Obtained: epoch.Add(-time.Hour),
		Lineage: tokenrefresh.LineageOf(cfg.Initial.Reveal())})
	store.await(t, "the store gets the current token back", func(e *tokenrefresh.Entry) bool { return e.Token.Reveal().AccessToken == "rot-2" })
	for _, m := range []*member{a, b} {
		if tok := mustToken(t, m.r); tok.AccessToken != "rot-2" {
			t.Errorf("Token() after an older token was stored = %q; want rot-2", tok.AccessToken)
		}
	}
}

func TestStoreThatLostTheTokenGetsItBack(t *testing.T) {
	c := &chain{live: "issued"}
	store := newSharedStore()
	clk := newClock()
	a := join(t, c, store, clk, tokenrefresh.Config{Initial: secret.New(&oauth2.Token{AccessToken: "issued"}), Interval: 55 * time.Minute})
	a.waitToken(t, "rot-1")
	store.awaitWatchers(t, 1)
	saves := store.Saves()
	store.put(nil) // a Redis restarted without persistence
	store.await(t, "the store gets the current token back", func(e *tokenrefresh.Entry) bool {
		return e.Token.Reveal().AccessToken == "rot-1" && e.Lineage != ""
	})
	if n := store.Saves(); n != saves+1 {
		t.Errorf("store saved %d times to get the token back; want 1", n-saves)
	}
	if n := c.Rotations(); n != 1 {
		t.Errorf("rotated %d times; want 1", n)
	}
}

// lastResortCase is a token kind and the config that keeps it.
type lastResortCase struct {
	name      string
	cfg       tokenrefresh.Config
	entry     *tokenrefresh.Entry // stored before the Refresher starts
	refreshAt time.Duration       // when the token is due
	lastAt    time.Duration       // from when it is about to die
	dies      time.Duration
}

var lastResortCases = []lastResortCase{
	{
		name:      "expiring",
		cfg:       tokenrefresh.Config{},
		entry:     &tokenrefresh.Entry{Token: secret.New(&oauth2.Token{AccessToken: "issued", Expiry: epoch.Add(time.Hour)}), Obtained: epoch},
		refreshAt: 55 * time.Minute, lastAt: 58 * time.Minute, dies: time.Hour,
	},
	{
		name:      "interval with MaxAge",
		cfg:       tokenrefresh.Config{Interval: 55 * time.Minute, MaxAge: time.Hour},
		entry:     &tokenrefresh.Entry{Token: secret.New(&oauth2.Token{AccessToken: "issued"}), Obtained: epoch},
		refreshAt: 55 * time.Minute, lastAt: 58 * time.Minute, dies: time.Hour,
	},
	{
		name:      "short-lived",
		cfg:       tokenrefresh.Config{},
		entry:     &tokenrefresh.Entry{Token: secret.New(&oauth2.Token{AccessToken: "issued", Expiry: epoch.Add(time.Minute)}), Obtained: epoch},
		refreshAt: 45 * time.Second, lastAt: 54 * time.Second, dies: time.Minute,
	},
}

func TestStoreDownRotatesOnlyAsALastResortAndSavesWhenBack(t *testing.T) {
	for _, tc := range lastResortCases {
		for _, watch := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/watch=%v", tc.name, watch), func(t *testing.T) {
				testLastResort(t, tc, watch)
			})
		}
	}
}

func testLastResort(t *testing.T, tc lastResortCase, watch bool) {
	c := &chain{live: "issued"}
	shared := newSharedStore()
	shared.put(tc.entry)
	var store tokenrefresh.Store = shared
	if !watch {
		store = lockOnly{shared}
	}
	clk := newClock()
	cfg := tc.cfg
	cfg.RetryMax = 30 * time.Second
	m := join(t, c, store, clk, cfg)
	if at := parked(t, clk); !at.Equal(epoch.Add(tc.refreshAt)) {
		t.Fatalf("refresh planned at %v; want %v", at.Sub(epoch), tc.refreshAt)
	}
	if watch {
		shared.awaitWatchers(t, 1)
	}
	shared.setDown(true)
	if watch {
		eventtest.Wait(t, m.events, tokenrefresh.StoreUnavailable)
	}

	// Retry until the last-resort rotation; none before it.
	for i := 0; ; i++ {
		if i > 200 {
			t.Fatal("no last-resort rotation after 200 retries")
		}
		now := clk.Now()
		next := awaitTimer(t, clk, "retry", func(d time.Time) bool { return d.After(now) })
		if !next.Before(epoch.Add(tc.dies)) {
			t.Fatalf("next attempt at %v, after the token died at %v", next.Sub(epoch), tc.dies)
		}
		clk.Advance(next.Sub(now))
		if next.Before(epoch.Add(tc.lastAt)) {
			if st := m.r.Status(); !st.Valid || tok(t, m.r) != "issued" {
				t.Fatalf("at %v: status %+v; want the old token still served", next.Sub(epoch), st)
			}
			continue
		}
		m.waitToken(t, "rot-1")
		break
	}
	if n := m.src.Calls(); n != 1 {
		t.Fatalf("refresh called %d times while the store was down; want 1, as a last resort", n)
	}
	st := m.r.Status() // the rotation is published: its save has failed
	if !st.Unsaved || !st.StoreUnavailable || st.Healthy || !strings.Contains(st.StoreError, "store is down") {
		t.Errorf("status with the store down = %+v; want unhealthy, saying why", st)
	}

	shared.setDown(false)
	if !watch { // without notifications, the save is retried on its own timer
		now := clk.Now()
		next := awaitTimer(t, clk, "save retry", func(d time.Time) bool { return d.After(now) })
		clk.Advance(next.Sub(now))
	}
	eventtest.Wait(t, m.events, tokenrefresh.StoreRecovered)
	if st := m.r.Status(); !st.Healthy {
		t.Errorf("status after the save = %+v; want healthy", st)
	}
	if e := shared.stored(t); e.Token.Reveal().AccessToken != "rot-1" {
		t.Errorf("store after the outage holds %q; want rot-1", e.Token.Reveal().AccessToken)
	}
}

func tok(t *testing.T, r *tokenrefresh.Refresher) string {
	t.Helper()
	return mustToken(t, r).AccessToken
}

func TestStoreDownNeverRotatesWithoutLockWhenDeathIsUnknown(t *testing.T) {
	c := &chain{live: "issued"}
	shared := newSharedStore()
	shared.put(&tokenrefresh.Entry{Token: secret.New(&oauth2.Token{AccessToken: "issued"}), Obtained: epoch})
	clk := newClock()
	m := join(t, c, lockOnly{shared}, clk, tokenrefresh.Config{Interval: 55 * time.Minute, RetryMax: 10 * time.Minute})
	parked(t, clk)
	shared.setDown(true)
	// Retry for three hours, then stop with the loop parked on a retry.
	now := clk.Now()
	next := awaitTimer(t, clk, "retry", func(d time.Time) bool { return d.After(now) })
	for i := 0; next.Before(epoch.Add(3 * time.Hour)); i++ {
		if i > 1000 {
			t.Fatal("more than 1000 retries in three hours")
		}
		clk.Advance(next.Sub(now))
		now = clk.Now()
		next = awaitTimer(t, clk, "retry", func(d time.Time) bool { return d.After(now) })
	}
	if n := m.src.Calls(); n != 0 {
		t.Fatalf("rotated %d times without the lock, with no MaxAge; want 0", n)
	}
	if st := m.r.Status(); !st.StoreUnavailable || !st.Valid || st.ConsecutiveFailures == 0 {
		t.Errorf("status = %+v; want a valid token, the store unavailable, failures counted", st)
	}
	shared.setDown(false)
	clk.Advance(next.Sub(now))
	m.waitToken(t, "rot-1")
	if st := m.r.Status(); !st.Healthy {
		t.Errorf("status after the rotation = %+v; want healthy", st)
	}
}

func TestRejectedTokenWaitsForTheStore(t *testing.T) {
	c := &chain{live: "issued"}
	shared := newSharedStore()
	shared.put(&tokenrefresh.Entry{Token: secret.New(&oauth2.Token{AccessToken: "issued", Expiry: epoch.Add(time.Hour)}), Obtained: epoch})
	clk := newClock()
	m := join(t, c, lockOnly{shared}, clk, tokenrefresh.Config{})
	parked(t, clk)
	shared.setDown(true)
	// Another process rotated while the store was up, then it went down.
	c.rotate(context.Background(), &oauth2.Token{AccessToken: "issued"})
	shared.memory().Save(context.Background(), &tokenrefresh.Entry{Token: secret.New(&oauth2.Token{AccessToken: "rot-1", Expiry: epoch.Add(2 * time.Hour)}), Obtained: epoch.Add(time.Minute)})

	m.r.Invalidate(&oauth2.Token{AccessToken: "issued"})
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	waiter := asyncToken(ctx, m.r)
	eventtest.Wait(t, m.events, tokenrefresh.Failed) // the store is down: no lock
	select {
	case res := <-waiter:
		t.Fatalf("Token() = %v, %v after a failed attempt; want it to wait for the next while its context has time", res.tok, res.err)
	default:
	}
	cancel()
	if res := <-waiter; res.err == nil || !strings.Contains(res.err.Error(), "store is down") {
		t.Fatalf("Token() with a rejected token and the store down = %v, %v; want an error naming the last failure", res.tok, res.err)
	}
	if n := m.src.Calls(); n != 0 {
		t.Fatalf("refresh called %d times without the lock for a rejected token; want 0", n)
	}
	shared.setDown(false)
	now := clk.Now()
	next := awaitTimer(t, clk, "retry", func(d time.Time) bool { return d.After(now) })
	clk.Advance(next.Sub(now))
	m.waitToken(t, "rot-1")
	if n := m.src.Calls(); n != 0 {
		t.Errorf("refresh called %d times; want 0: the store had the successor", n)
	}
}

// A member backing off after failed attempts (its store was down) whose
// token the server then rejects reloads the store at once, rather than
// failing every caller until its backoff ends: the rejection most likely
// means that another member rotated the token once the store was back.
func TestRejectedTokenReloadsTheStoreDuringABackoff(t *testing.T) {
	c := &chain{live: "issued"}
	shared := newSharedStore()
	shared.put(&tokenrefresh.Entry{Token: secret.New(&oauth2.Token{AccessToken: "issued"}), Obtained: epoch})
	clk := newClock()
	m := join(t, c, lockOnly{shared}, clk, tokenrefresh.Config{Interval: 55 * time.Minute})
	parked(t, clk)
	shared.setDown(true)
	clk.Advance(55 * time.Minute) // due, and the lock cannot be had: back off
	eventtest.Wait(t, m.events, tokenrefresh.Failed)
	shared.setDown(false)
	c.rotate(context.Background(), &oauth2.Token{AccessToken: "issued"})
	shared.memory().Save(context.Background(), &tokenrefresh.Entry{Token: secret.New(&oauth2.Token{AccessToken: "rot-1"}), Obtained: clk.Now()})

	m.r.Invalidate(&oauth2.Token{AccessToken: "issued"})
	if got := tok(t, m.r); got != "rot-1" {
		t.Errorf("Token() after a 401 during a backoff = %q; want rot-1 from the store", got)
	}
	if n := m.src.Calls(); n != 0 {
		t.Errorf("refresh called %d times; want 0: the store had the successor", n)
	}
}

func TestAdoptionEndsAPermanentFailure(t *testing.T) {
	c := &chain{live: "someone-else-rotated"}
	shared := newSharedStore()
	shared.put(&tokenrefresh.Entry{Token: secret.New(&oauth2.Token{AccessToken: "issued", Expiry: epoch.Add(time.Hour)}), Obtained: epoch})
	clk := newClock()
	m := join(t, c, shared, clk, tokenrefresh.Config{})
	m.r.Invalidate(&oauth2.Token{AccessToken: "issued"})
	m.src.waitCall(t)
	waitLost(t, m.r)
	shared.awaitWatchers(t, 1)

	shared.put(&tokenrefresh.Entry{Token: secret.New(&oauth2.Token{AccessToken: "someone-else-rotated", Expiry: epoch.Add(2 * time.Hour)}), Obtained: epoch.Add(time.Minute)})
	for waitRotation(t, m.rotated).AccessToken != "someone-else-rotated" {
	}
	if st := m.r.Status(); st.Permanent || !st.Healthy {
		t.Errorf("status after adopting = %+v; want the permanent failure cleared", st)
	}
}

func TestWatchFailuresShowInStatus(t *testing.T) {
	shared := newSharedStore()
	shared.put(&tokenrefresh.Entry{Token: secret.New(&oauth2.Token{AccessToken: "issued", Expiry: epoch.Add(time.Hour)}), Obtained: epoch})
	m := join(t, &chain{live: "issued"}, shared, newClock(), tokenrefresh.Config{})
	shared.awaitWatchers(t, 1)
	shared.setDown(true)
	eventtest.Wait(t, m.events, tokenrefresh.StoreUnavailable)
	st := m.r.Status()
	if !st.StoreUnavailable || st.Healthy || !st.Valid || st.StoreError == "" {
		t.Errorf("status with the store down = %+v; want valid, unhealthy, with a reason", st)
	}
	shared.setDown(false)
	eventtest.Wait(t, m.events, tokenrefresh.StoreRecovered)
	if st := m.r.Status(); !st.Healthy || st.StoreError != "" {
		t.Errorf("status with the store back = %+v; want healthy", st)
	}
}

func TestFileStoreFleetFollowersAdoptThroughTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "token.json")
	c := &chain{live: "issued"}
	clk := newClock()
	cfg := tokenrefresh.Config{Initial: secret.New(&oauth2.Token{AccessToken: "issued"}), Interval: 55 * time.Minute}
	a, _ := tokenrefresh.NewFileStore(path)
	b, _ := tokenrefresh.NewFileStore(path)
	ma := join(t, c, a, clk, cfg)
	ma.waitToken(t, "rot-1")
	mb := join(t, c, b, clk, cfg)
	ma.r.Invalidate(&oauth2.Token{AccessToken: "rot-1"})
	ma.waitToken(t, "rot-2")
	mb.waitToken(t, "rot-2") // the file watch notices within seconds
	if n := mb.src.Calls(); n != 0 {
		t.Errorf("follower called refresh %d times; want 0", n)
	}
}

// await waits until the store holds an entry that satisfies cond,
// checking after each save.
func (s *sharedStore) await(t *testing.T, what string, cond func(*tokenrefresh.Entry) bool) {
	t.Helper()
	deadline := time.After(waitLimit)
	for {
		if e, err := s.memory().Load(context.Background()); err == nil && cond(e) {
			return
		}
		select {
		case <-s.saved:
		case <-deadline:
			t.Fatalf("never: %s", what)
		}
	}
}
