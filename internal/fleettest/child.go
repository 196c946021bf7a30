package fleettest

import (
	"io"
	"os/exec"
	"sync"

	"github.com/bearer-go/bearer/internal/syncbuf"
)

// child is the parent's view of one child process.
type child struct {
	i      int
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stderr syncbuf.Buffer
	exited chan struct{} // closed once the process is reaped

	mu      sync.Mutex // guards the fields below
	ready   bool
	hash    string // of the token it last said it serves
	down    bool   // its store is unavailable, as it last said
	outages int
	report  *report
	badLine string // a line of stdout that was no event
	ending  bool   // told to stop, or killed
	waitErr error
}

func (c *child) apply(ev event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch ev.Event {
	case "ready":
		c.ready, c.hash = true, ev.Hash
	case "token":
		c.hash = ev.Hash
	case "store":
		c.down = ev.Down
		if ev.Down {
			c.outages++
		}
	case "report":
		c.report = ev.Report
	}
}

func (c *child) setBad(line string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.badLine == "" {
		c.badLine = line
	}
}

func (c *child) setEnding() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ending = true
}

func (c *child) expected() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ending
}

func (c *child) hasExited() bool {
	select {
	case <-c.exited:
		return true
	default:
		return false
	}
}

func (c *child) err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.waitErr
}

// stderrTail returns the end of what the child logged.
func (c *child) stderrTail() string {
	s := c.stderr.String()
	const max = 4000
	if len(s) > max {
		s = "…" + s[len(s)-max:]
	}
	return s
}
