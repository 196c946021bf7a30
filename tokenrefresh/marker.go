package tokenrefresh

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bearer-go/bearer/secret"
	"golang.org/x/oauth2"
)

// markerGraceAttempts is how many attempt timeouts a process waits for
// another process's rotation in flight (see [Entry.Rotating]), from when
// it first finds its marker, before it presumes the holder dead and
// rotates the token itself. The holder, whose save failed, tries it again
// at once when its Watcher tells it the store is back, and otherwise
// within an attempt timeout (see saveRetryCap); it may then wait for the
// lock (an attempt timeout at most) and save (another): three in all, 90
// s with the default, which C2's five-minute early window leaves time to
// use after a dead holder's Redis lock has expired (31 s).
const markerGraceAttempts = 3

// markerGrace returns how long r waits for another process's marker,
// from when it first finds it.
func (r *Refresher) markerGrace() time.Duration {
	return markerGraceAttempts * r.cfg.AttemptTimeout
}

// saveRetryCap caps the wait before the next save of a token the store
// refused: with a Locker, at an attempt timeout, so that the marker this
// process left in the store is cleared by its save within the others'
// grace once the store is back (see markerGraceAttempts); a store of its
// own waits its backoff.
func (r *Refresher) saveRetryCap(wait time.Duration) time.Duration {
	if c, ok := r.coord.(*shared); ok && c.locker != nil {
		return min(wait, r.cfg.AttemptTimeout)
	}
	return wait
}

// newOwnerID returns a Refresher's owner id for its markers: where its
// process runs (see pidSpace), its pid, and 64 random bits, so that no two
// Refreshers, here or in other processes, or after a restart, share one:
// "SPACE|PID|RANDOM".
func newOwnerID() string {
	var b [8]byte
	rand.Read(b[:])
	return fmt.Sprintf("%s|%d|%s", ownSpace(), os.Getpid(), hex.EncodeToString(b[:]))
}

// ownSpace returns this process's pid space, read on first use.
var ownSpace = sync.OnceValue(pidSpace)

// holderGone reports whether the process of owner, a marker's owner id,
// is known to be dead: it ran in this process's pid space (the same host
// and pid namespace), and no process has its pid now. A holder killed
// mid-rotation on this host (a crash and restart, or a member of a fleet
// on one host) is so not waited for; one elsewhere always is.
func holderGone(owner string) bool {
	rest, _, ok := cutLast(owner)
	space, pidText, ok2 := cutLast(rest)
	pid, err := strconv.Atoi(pidText)
	return ok && ok2 && err == nil && ownSpace() != "" && space == ownSpace() && pid != os.Getpid() && processGone(pid)
}

// cutLast cuts s around its last "|".
func cutLast(s string) (before, after string, found bool) {
	i := strings.LastIndexByte(s, '|')
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+1:], true
}

// marker is another process's rotation marker that this one is waiting
// for, and when it first found it.
type marker struct {
	owner  string
	access string // the access token the marker is on
	seen   time.Time
}

// heldElsewhere reports whether stored carries another process's marker
// on the token r would rotate now. A marker of ours, or on another token
// (an older one, when ours is not saved yet), is ignored.
func (c *shared) heldElsewhere(stored *Entry) bool {
	s := c.r.cur.Load()
	if stored == nil || stored.Rotating == "" || stored.Rotating == c.owner || s == nil || stored.Lineage != c.r.lineage {
		return false
	}
	return sameToken(stored.Token.Reveal(), s.tok)
}

// awaitHolder, for another process's marker on the token (see
// heldElsewhere), ends the attempt without rotating and plans the next
// one for the end of the grace, counted from when this process first
// found the marker: the token is served meanwhile, and the holder's save
// is adopted when it comes. It reports false once the grace is over: the
// holder is presumed dead, and the caller rotates.
func (c *shared) awaitHolder(stored *Entry) bool {
	r := c.r
	now := r.cfg.Clock.Now()
	access := stored.Token.Reveal().AccessToken
	if c.waiting.owner != stored.Rotating || c.waiting.access != access {
		c.waiting = marker{owner: stored.Rotating, access: access, seen: now}
	}
	if holderGone(stored.Rotating) {
		r.cfg.Logger.Warn("tokenrefresh: the process that began rotating the token has died without saving the result; rotating",
			"holder", stored.Rotating, "marked_at", stored.RotatingSince)
		return false
	}
	until := c.waiting.seen.Add(r.markerGrace())
	if !before(now, until) {
		r.cfg.Logger.Warn("tokenrefresh: another process began rotating the token and has not saved the result within the grace; presuming it dead and rotating",
			"holder", stored.Rotating, "marked_at", stored.RotatingSince, "grace", r.markerGrace())
		return false
	}
	r.mu.Lock()
	r.setRetryAtLocked(until)
	r.quickAt = until.UnixNano() // no quick retries while callers wait: the holder decides
	r.endAttemptLocked()
	r.mu.Unlock()
	r.cfg.Logger.Info("tokenrefresh: another process is rotating the token; waiting for it to save the result",
		"holder", stored.Rotating, "marked_at", stored.RotatingSince, "until", until)
	return true
}

// claim, under the store's lock, saves the current token again with this
// process's marker, so that no other process presents it while its
// rotation is in flight, and reports whether to rotate it now, and the
// state it marked (nil if none). If the store refuses the marker it does
// not rotate, unless the token is about to die (see lastResortAfter).
func (c *shared) claim(ctx context.Context) (marked *state, rotate bool) {
	r := c.r
	s := r.cur.Load()
	if s == nil {
		return nil, true // nothing to present: the RefreshFunc fetches a first token
	}
	e := c.entryOf(s)
	e.Rotating, e.RotatingSince = c.owner, r.cfg.Clock.Now()
	if err := r.save(ctx, e); err != nil {
		return nil, c.lastResortAfter(fmt.Errorf("tokenrefresh: mark the rotation in the shared token store: %w", err))
	}
	c.waiting = marker{}
	return s, true
}

// unclaim, after an attempt, clears this process's marker if the attempt
// left the marked token current (its call failed): the other processes
// need not wait for a rotation that is not in flight. The save of a new
// token cleared it already; if that save failed, the marker stays until
// the token is saved.
func (c *shared) unclaim(marked *state) {
	r := c.r
	if cur := r.cur.Load(); cur == nil || !sameToken(cur.tok, marked.tok) || !cur.obtained.Equal(marked.obtained) {
		return
	}
	if err := r.saveDurably(c.entryOf(marked)); err != nil {
		r.cfg.Logger.Warn("tokenrefresh: could not clear the rotation marker; the other processes wait for it to expire before they rotate",
			"error", r.redacted(err), "grace", r.markerGrace())
	}
}

// entryOf returns the entry that holds s's token as it is stored, with
// the doubt of the last attempt and without a marker.
func (c *shared) entryOf(s *state) *Entry {
	r := c.r
	r.mu.Lock()
	doubt := r.inDoubt
	r.mu.Unlock()
	return &Entry{Token: secret.New(s.tok), Obtained: s.obtained, Lineage: r.lineage, Due: s.agreed, InDoubt: doubt}
}

// sameToken reports whether a and b hold the same access and refresh
// tokens.
func sameToken(a, b *oauth2.Token) bool {
	return a != nil && b != nil && a.AccessToken == b.AccessToken && a.RefreshToken == b.RefreshToken
}
