package syncbuf_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/bearer-go/bearer/internal/syncbuf"
)

func TestConcurrentWritesAreAllKept(t *testing.T) {
	const writers, lines = 8, 100
	var buf syncbuf.Buffer
	var wg sync.WaitGroup
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range lines {
				if n, err := buf.Write([]byte("line\n")); n != 5 || err != nil {
					t.Errorf("Write = %d, %v; want 5, nil", n, err)
				}
				_ = buf.String() // reading while others write must not race
			}
		}()
	}
	wg.Wait()
	if got := strings.Count(buf.String(), "line\n"); got != writers*lines {
		t.Errorf("String() holds %d lines; want %d", got, writers*lines)
	}
}

func TestZeroValueIsEmpty(t *testing.T) {
	var buf syncbuf.Buffer
	if got := buf.String(); got != "" {
		t.Errorf("String() = %q; want \"\"", got)
	}
}
