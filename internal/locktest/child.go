package locktest

import (
	"context"
	"fmt"
	"io"
	"os"
)

// Contend is a child's side of [RunContenders]: it takes l rounds times,
// and each time appends a begin and an end marker with its pid to the
// log, with a read of the whole log in between to widen the critical
// section. It stops at the first error, or when ctx is done.
func Contend(ctx context.Context, l Locker, log string, rounds int) error {
	pid := os.Getpid()
	for range rounds {
		unlock, err := l.Lock(ctx)
		if err != nil {
			return err
		}
		if err := appendLine(log, fmt.Sprintf("begin %d", pid)); err != nil {
			return err
		}
		if _, err := os.ReadFile(log); err != nil {
			return err
		}
		if err := appendLine(log, fmt.Sprintf("end %d", pid)); err != nil {
			return err
		}
		if err := unlock(); err != nil {
			return err
		}
	}
	return nil
}

// Hold is a child's side of [StartHolder]: it takes l, prints
// [LockedLine] to stdout, and returns the lock's release once stdin ends,
// which is when the parent goes; a killed child never returns.
func Hold(ctx context.Context, l Locker) (unlock func() error, err error) {
	unlock, err = l.Lock(ctx)
	if err != nil {
		return nil, err
	}
	fmt.Println(LockedLine)
	io.Copy(io.Discard, os.Stdin)
	return unlock, nil
}

func appendLine(path, line string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	_, err = f.WriteString(line + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
