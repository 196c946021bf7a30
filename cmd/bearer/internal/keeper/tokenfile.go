package keeper

import (
	"log/slog"
	"sync"

	"github.com/bearer-go/bearer/tokenrefresh"
)

// tokenFile is the file a program that prefers files reads the token from. It holds the
// newest token: the one the client started with is written only if no
// rotation has replaced it yet.
type tokenFile struct {
	path string
	log  *slog.Logger

	mu      sync.Mutex // guards replace
	replace bool       // a rotation has written the file
}

// initial writes the token the client started with, unless a rotation
// already wrote a newer one.
func (f *tokenFile) initial(tok string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.replace {
		f.write(tok)
	}
}

// rotated writes a token a refresh produced.
func (f *tokenFile) rotated(tok string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.replace = true
	f.write(tok)
}

// write replaces the file atomically, mode 0600. A failure is logged; the
// next rotation writes again.
func (f *tokenFile) write(tok string) {
	if err := tokenrefresh.WriteFileAtomic(f.path, []byte(tok+"\n")); err != nil {
		f.log.Error("writing the token file failed; programs read an older token until the next refresh",
			"out", f.path, "error", err)
	}
}
