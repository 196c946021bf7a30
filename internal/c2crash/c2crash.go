// Package c2crash is the child side of the c2 package's crash test: a
// program that keeps a C2 token alive with a file store, against the fake
// C2 its parent serves, until the parent kills it with SIGKILL. The parent
// re-executes its own test binary with the environment [Env] returns; the
// binary's TestMain sees [IsChild] and calls [RunChild] instead of running
// tests.
package c2crash

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/bearer-go/bearer/c2"
)

// Environment variables that configure a child.
const (
	envChild  = "C2CRASH_CHILD"  // "1" in a child
	envRoot   = "C2CRASH_ROOT"   // the fake's URL
	envToken  = "C2CRASH_TOKEN"  // the first token of the lineage
	envFile   = "C2CRASH_FILE"   // the token file
	envOffset = "C2CRASH_OFFSET" // how far the child's clock is ahead, as a Go duration
)

// maxLife bounds a child that its parent failed to kill: it stops by
// itself, so no test leaves a process behind.
const maxLife = 30 * time.Second

// Exit codes of [RunChild].
const (
	ExitDone  = 0 // lived maxLife without being killed
	ExitSetup = 2 // the environment or the client was wrong
)

// IsChild reports whether this process was started as a crash-test child.
func IsChild() bool { return os.Getenv(envChild) == "1" }

// Env returns the environment entries that make a re-executed test binary
// a child: it keeps token (resuming the lineage from file if it holds it)
// alive against root, on a clock offset ahead of real time. Parents move
// offset forward by more than the refresh interval for each child, so the
// stored token is due at once and every child starts by rotating it.
func Env(root, token, file string, offset time.Duration) []string {
	return []string{
		envChild + "=1",
		envRoot + "=" + root,
		envToken + "=" + token,
		envFile + "=" + file,
		envOffset + "=" + offset.String(),
	}
}

// RunChild runs the child until it is killed, or for at most maxLife, and
// returns the exit code. It reports setup errors on stderr, without the
// token.
func RunChild() int {
	offset, err := time.ParseDuration(os.Getenv(envOffset))
	if err != nil {
		fmt.Fprintf(os.Stderr, "c2crash: bad %s: %v\n", envOffset, err)
		return ExitSetup
	}
	ctx, cancel := context.WithTimeout(context.Background(), maxLife)
	defer cancel()
	c, err := c2.New(ctx, os.Getenv(envRoot), os.Getenv(envToken),
		c2.WithStoreFile(os.Getenv(envFile)),
		c2.WithClock(offsetClock{offset}))
	if err != nil {
		fmt.Fprintf(os.Stderr, "c2crash: %v\n", err)
		return ExitSetup
	}
	defer c.Close()
	<-ctx.Done()
	return ExitDone
}

// offsetClock is the system clock, read offset ahead. Its timers run in
// real time.
type offsetClock struct{ offset time.Duration }

func (c offsetClock) Now() time.Time { return time.Now().Add(c.offset) }

func (offsetClock) NewTimer(d time.Duration) (<-chan time.Time, func() bool) {
	t := time.NewTimer(d)
	return t.C, t.Stop
}

// Outcome is what a kill left behind, judged by the token in the file.
type Outcome int

const (
	// BeforeRotation: the file holds the token the child started from,
	// still alive: the kill came before the server rotated it.
	BeforeRotation Outcome = iota
	// AfterSave: the file holds the rotated token, alive: the kill came
	// after the client saved it.
	AfterSave
	// InWindow: the file's token is dead and the server rotated it: the
	// kill came between the server's rotation and the client's save, the
	// one window in which the lineage can be lost.
	InWindow
	// Lost: the file's token is dead and was never rotated: the lineage is
	// lost for some other reason, which must never happen.
	Lost
)

func (o Outcome) String() string {
	switch o {
	case BeforeRotation:
		return "killed before the rotation"
	case AfterSave:
		return "killed after the save"
	case InWindow:
		return "killed between rotation and save"
	case Lost:
		return "lineage lost"
	}
	return "Outcome(" + strconv.Itoa(int(o)) + ")"
}

// Server is what Classify asks of the fake C2.
type Server interface {
	Valid(token string) bool
	Successor(token string) (string, bool)
}

// Classify judges a kill from the token the file holds (or, if the file
// holds none of this lineage, the token the child started from) and the
// token the child was to rotate.
func Classify(srv Server, stored, before string) Outcome {
	_, rotated := srv.Successor(stored)
	switch {
	case srv.Valid(stored) && stored == before:
		return BeforeRotation
	case srv.Valid(stored):
		return AfterSave
	case rotated:
		return InWindow
	}
	return Lost
}
