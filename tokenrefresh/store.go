package tokenrefresh

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/bearer-go/bearer/secret"
	"golang.org/x/oauth2"
)

// An Entry is what a [Store] keeps: the current token of a lineage and when
// it was obtained. Its token is a [secret.Token], so an Entry prints it as
// REDACTED however it is printed, json.Marshal included; a Store writes
// the record that [Entry.MarshalBinary] returns.
type Entry struct {
	// Token is the current token. Required.
	Token secret.Token
	// Obtained is when the token was issued. The fixed-interval schedule
	// counts from it; the zero time means unknown, and such a token is due
	// for rotation at once.
	Obtained time.Time
	// Lineage names the chain of rotations the token belongs to: a hash of
	// the token the chain started from (never the token itself), or "" for
	// sources that fetch new tokens rather than rotate. A Refresher given an
	// Initial token resumes a stored entry only when the lineages match, so
	// a newly issued token is not shadowed by a stale file.
	Lineage string
	// Due, when set, is when the processes sharing the store have agreed
	// to rotate the token, in place of its schedule; only a Refresher
	// with [Config.Fence] reads it. One that finds the token overdue (the
	// planned rotation and its fence have passed, because the store, the
	// lock or the token server failed) saves the token again with Due
	// shortly ahead rather than rotate at once, so that every member
	// holds its callers for the same moment. Zero: the schedule decides.
	Due time.Time
	// InDoubt is set when the last refresh of Token may have been applied
	// by the server without its answer arriving (see [InDoubt]): if the
	// server rejects Token, the lineage is lost, and is reported so.
	InDoubt bool
	// Rotating, when set, is the rotation-in-flight marker: the owner id
	// of the Refresher (one per Refresher, random) that is rotating Token.
	// A Refresher whose store is a [Locker] saves it under the lock just
	// before it presents Token to the server, and the save of the result
	// clears it. Another process that finds it on the token it would
	// rotate does not present that token again for a grace (see
	// [Locker]): the holder may have had the rotation applied and be
	// waiting for the store to take the result, and a server with
	// refresh-token reuse detection (RFC 9700 4.14.2) would revoke the
	// whole grant.
	Rotating string
	// RotatingSince is when the marker was saved, by the holder's clock;
	// for diagnosis only (the grace runs from when a process first finds
	// the marker, by its own clock).
	RotatingSince time.Time
}

// Versions of the JSON record of an Entry. A record with a rotation
// marker (Rotating) is written as version 3, and one with InDoubt set but
// no marker as version 2, so that a reader that does not know the marker
// or the doubt refuses the record rather than drop them; others stay
// version 1, readable by every version. A record of a newer format than
// these is refused with a [FormatError], so that an old version never
// misreads, and then overwrites, what a newer one wrote.
const (
	entryFormat         = 1
	entryFormatInDoubt  = 2
	entryFormatRotating = 3
	entryFormatNewest   = entryFormatRotating
)

// A FormatError reports a stored record in a format newer than the one
// this version of the package reads: it was written by a newer version of
// bearer. Upgrade to read it; do not delete it, since it holds the
// lineage's current token.
type FormatError struct {
	Format int // the record's format
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("tokenrefresh: the token record has format %d, and this version of bearer reads formats %d to %d: upgrade github.com/bearer-go/bearer to read it",
		e.Format, entryFormat, entryFormatNewest)
}

// entryJSON is the JSON record of an [Entry], the same in every store.
type entryJSON struct {
	Format       int       `json:"format"`
	AccessToken  string    `json:"access_token"`
	TokenType    string    `json:"token_type,omitempty"`
	RefreshToken string    `json:"refresh_token,omitempty"`
	Expiry       time.Time `json:"expiry,omitzero"`
	Obtained     time.Time `json:"obtained,omitzero"`
	Lineage      string    `json:"lineage,omitempty"`
	Due          time.Time `json:"due,omitzero"`
	InDoubt      bool      `json:"in_doubt,omitempty"`
	Rotating     string    `json:"rotating,omitempty"`
	RotatingAt   time.Time `json:"rotating_since,omitzero"`
}

// errBadRecord is what UnmarshalBinary returns for any record it cannot use.
// It never quotes the input, which holds tokens.
var errBadRecord = errors.New("tokenrefresh: not a token record")

// MarshalBinary encodes e as the versioned JSON record a [Store] keeps,
// the same in every store. The record holds the token's secrets: store it
// where only its owner can read it, and never log it. (json.Marshal of an
// Entry prints its token as REDACTED; this is the one way it is written
// out.)
func (e Entry) MarshalBinary() ([]byte, error) {
	tok := e.Token.Reveal()
	if tok == nil || tok.AccessToken == "" {
		return nil, errors.New("tokenrefresh: cannot encode an entry without a token")
	}
	format, since := entryFormat, time.Time{}
	switch {
	case e.Rotating != "":
		format, since = entryFormatRotating, recordTime(e.RotatingSince)
	case e.InDoubt:
		format = entryFormatInDoubt
	}
	return json.Marshal(entryJSON{
		Format:       format,
		AccessToken:  tok.AccessToken,
		TokenType:    tok.TokenType,
		RefreshToken: tok.RefreshToken,
		Expiry:       recordTime(tok.Expiry),
		Obtained:     recordTime(e.Obtained),
		Lineage:      e.Lineage,
		Due:          recordTime(e.Due),
		InDoubt:      e.InDoubt,
		Rotating:     e.Rotating,
		RotatingAt:   since,
	})
}

// Bounds of the times a record holds: RFC 3339, which JSON times follow,
// has four-digit years.
var (
	firstRecordTime = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	lastRecordTime  = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)
)

// recordTime returns t within the years a record can hold, so that no
// token, however absurd its expiry (a JWT exp written in milliseconds is
// in the year 55,000), makes the record impossible to write and its
// lineage impossible to keep. A time beyond is as good as never, or long
// past; the zero time stays zero.
func recordTime(t time.Time) time.Time {
	switch {
	case t.IsZero():
		return t
	case t.After(lastRecordTime):
		return lastRecordTime
	case t.Before(firstRecordTime):
		return firstRecordTime.Add(time.Second)
	}
	return t
}

// UnmarshalBinary decodes a record written by MarshalBinary. A record of
// a newer format gives a [*FormatError]; one without an access token or a
// format, or that is not one, gives an error. No error quotes the input.
func (e *Entry) UnmarshalBinary(data []byte) error {
	// The format first: a newer record may be shaped differently.
	var head struct {
		Format int `json:"format"`
	}
	if json.Unmarshal(data, &head) == nil && head.Format > entryFormatNewest {
		return &FormatError{Format: head.Format}
	}
	var rec entryJSON
	if json.Unmarshal(data, &rec) != nil || rec.AccessToken == "" || rec.Format < entryFormat {
		return errBadRecord
	}
	*e = Entry{
		Token: secret.New(&oauth2.Token{
			AccessToken:  rec.AccessToken,
			TokenType:    rec.TokenType,
			RefreshToken: rec.RefreshToken,
			Expiry:       rec.Expiry,
		}),
		Obtained: rec.Obtained,
		Lineage:  rec.Lineage,
		Due:      rec.Due,
		InDoubt:  rec.InDoubt,
	}
	if rec.Format >= entryFormatRotating { // older formats have no marker
		e.Rotating, e.RotatingSince = rec.Rotating, rec.RotatingAt
	}
	return nil
}

// A Store persists the current token so a restarted program resumes its
// lineage instead of starting from a token that rotation already killed.
//
// Implementations must be safe for concurrent use.
type Store interface {
	// Load returns the stored entry, or ErrNoToken if there is none.
	Load(ctx context.Context) (*Entry, error)
	// Save replaces the stored entry. It must be durable when it returns.
	Save(ctx context.Context, e *Entry) error
}

// A Locker is a [Store] that several processes can share. A Refresher whose
// store is a Locker refreshes as "lock, reload, rotate only if the stored
// token is still the one due, save, unlock", so a fleet rotates a lineage
// once per interval and the others adopt the result. A follower whose
// token the server rejects (see [Refresher.Invalidate]) also takes the
// lock and reloads before it rotates anything.
//
// When the lock cannot be had (the store is unreachable, or another holder
// keeps it for longer than [Config.AttemptTimeout]), the Refresher keeps
// serving its token and retries, reporting the problem in
// [Status].StoreUnavailable. It rotates without the lock only as a last
// resort, when the token is about to die: in the last tenth of its life
// (at most the last two minutes) as given by its expiry or, for tokens
// without one, by [Config.MaxAge]. A token rotated that way is written to
// the store as soon as the store takes it.
//
// Under the lock, just before it rotates, a Refresher saves the token
// again with its rotation-in-flight marker ([Entry.Rotating]); if that
// save fails it does not rotate (but for the last resort above). One that
// finds another Refresher's marker on the token it would rotate leaves it
// to that Refresher, whose save may be waiting for the store to come
// back: it serves the token, and rotates only if the marker is still
// there three AttemptTimeouts after it first found it, or at once if the
// holder ran on this host and its process has exited.
type Locker interface {
	Store
	// Lock blocks until it holds the lineage's lock or ctx is done, and
	// returns the function that releases it. It should return at once,
	// with an error, when the store cannot be reached, rather than wait
	// for ctx. The lock must stay held at least until ctx's deadline, if
	// it has one, unless unlock is called first.
	Lock(ctx context.Context) (unlock func() error, err error)
}

// A Watcher is a [Store] that can tell when another process may have saved
// a new entry, so a Refresher adopts a token rotated elsewhere at once
// rather than when its own schedule comes due or the server rejects the
// old token. Watching is an optimisation: a fleet is correct without it.
//
// A Refresher whose store is a Watcher runs Watch in a goroutine of its
// own, which [Refresher.Close] ends and waits for. On each notification it
// reloads the store without the lock and adopts a token of its lineage
// that is not older than its own; if the store has lost the current token
// (a Redis restarted without persistence) or holds an older one, it writes
// its own back under the lock.
type Watcher interface {
	Store
	// Watch reports changes until ctx is done, and then returns.
	//
	// It calls notify(nil) whenever the stored entry may have changed:
	// spurious calls are allowed, and one is due whenever contact with
	// the store is (re)gained, since changes may have been missed. It
	// calls notify(err) when it has lost contact with the store, with an
	// error that names no secret, and keeps trying to regain it by
	// itself, with a bounded backoff. notify is cheap and never blocks;
	// Watch calls it from one goroutine at a time.
	//
	// A return before ctx is done means watching has stopped for good:
	// the Refresher logs the error and carries on without it.
	Watch(ctx context.Context, notify func(err error)) error
}

// LineageOf returns the lineage name of a chain that starts from tok: a
// short hash that identifies it without revealing it.
func LineageOf(tok *oauth2.Token) string {
	if tok == nil || tok.AccessToken == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(tok.AccessToken))
	return hex.EncodeToString(sum[:12])
}

// MemoryStore keeps the entry in memory: it survives nothing, but lets code
// and tests use the Store path without a file. The zero value is an empty
// store, ready to use, and safe for concurrent use.
type MemoryStore struct {
	mu sync.Mutex // guards e
	e  *Entry
}

// Load returns a copy of the stored entry, or ErrNoToken.
func (m *MemoryStore) Load(ctx context.Context) (*Entry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.e == nil {
		return nil, ErrNoToken
	}
	return copyEntry(m.e), nil
}

// Save stores a copy of e.
func (m *MemoryStore) Save(ctx context.Context, e *Entry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.e = copyEntry(e)
	return nil
}

func copyEntry(e *Entry) *Entry {
	c := *e
	if t := e.Token.Reveal(); t != nil {
		cp := *t
		c.Token = secret.New(&cp)
	}
	return &c
}
