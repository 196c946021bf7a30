//go:build darwin || dragonfly || freebsd || illumos || linux || netbsd || openbsd

package tokenrefresh_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bearer-go/bearer/internal/locktest"
	"github.com/bearer-go/bearer/tokenrefresh"
)

// helperTokenEnv gives a saving helper the prefix of its tokens.
const helperTokenEnv = "BEARER_TOKENREFRESH_HELPER_TOKEN"

// saverLife bounds a saving helper that its parent failed to kill.
const saverLife = 30 * time.Second

// saveLoop is the "save" helper: it saves tokens named prefix-0,
// prefix-1, ... to store, printing "saved N" after each, for rounds
// rounds, or, if rounds is 0, until it is killed (at most saverLife).
func saveLoop(store *tokenrefresh.FileStore, prefix string, rounds int) error {
	deadline := time.Now().Add(saverLife)
	for i := 0; rounds == 0 || i < rounds; i++ {
		if time.Now().After(deadline) {
			return fmt.Errorf("not killed within %v", saverLife)
		}
		if err := store.Save(context.Background(), entry(fmt.Sprintf("%s-%d", prefix, i))); err != nil {
			return err
		}
		fmt.Printf("saved %d\n", i)
	}
	return nil
}

// holdTemp is the "hold-temp" helper: a writer stopped between creating
// its temporary file of path and renaming it. It holds the file until
// its stdin ends, as locktest.Hold does with a lock.
func holdTemp(t *testing.T, path string) {
	fh, err := tokenrefresh.CreateTemp(filepath.Dir(path), filepath.Base(path))
	if err != nil {
		t.Fatal(err)
	}
	data, _ := entry("held").MarshalBinary()
	if _, err := fh.Write(data); err != nil {
		t.Fatal(err)
	}
	fmt.Println(locktest.LockedLine)
	io.Copy(io.Discard, os.Stdin)
	fh.Close()
	os.Remove(fh.Name())
}

// crashSavers is how many saving processes the crash test kills:
// $TOKENREFRESH_CRASH_KILLS, else 50, or 10 with -short.
func crashSavers(t *testing.T) int {
	if s := os.Getenv("TOKENREFRESH_CRASH_KILLS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("TOKENREFRESH_CRASH_KILLS=%q: want a positive count", s)
		}
		return n
	}
	if testing.Short() {
		return 10
	}
	return 50
}

// Bounds of the random moment of each kill: after a random number of
// saves reported, and then a random delay up to about the time one save
// takes here (two fsyncs on a local disk), so that kills land at every
// step of a save: before its temporary file exists, while it is written
// or synced, after its rename.
const (
	maxSavesBeforeKill = 20
	maxKillDelay       = 2 * time.Millisecond
)

// Processes saving tokens in a loop are killed with SIGKILL, one after
// the other, each at a random save. After every kill the token file is a
// whole record, and at most one temporary file is left beside it (the
// one the killed process was writing): each process's first save removed
// those of the processes killed before it. Once the next writer has
// saved, none is left.
func TestKilledSaversLeaveNoTemporaryFileOnceTheNextOneSaves(t *testing.T) {
	kills := crashSavers(t)
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed>>1))
	dir := t.TempDir()
	path := filepath.Join(dir, "token.json")
	store, _ := tokenrefresh.NewFileStore(path)

	var left, whole, partial int
	for i := range kills {
		prefix := fmt.Sprintf("kill%d", i)
		killSaverAfter(t, helper("save", path, helperTokenEnv+"="+prefix), 1+rng.IntN(maxSavesBeforeKill),
			time.Duration(rng.Int64N(int64(maxKillDelay))))
		e, err := store.Load(context.Background())
		if err != nil || !strings.HasPrefix(e.Token.Reveal().AccessToken, prefix+"-") {
			t.Fatalf("kill %d: the token file holds %v, %v; want a whole record of one of the killed process's tokens", i, e, err)
		}
		temps := tempFiles(t, dir, "token.json")
		if len(temps) > 1 {
			t.Errorf("kill %d: %d temporary files beside the token file; want at most the killed process's one: %v", i, len(temps), temps)
		}
		for _, name := range temps {
			data, _ := os.ReadFile(filepath.Join(dir, name))
			switch {
			case json.Valid(data) && bytes.Contains(data, []byte(prefix)):
				whole++
			case len(data) > 0:
				partial++
			}
		}
		left += len(temps)
	}
	if err := store.Save(context.Background(), entry("next")); err != nil {
		t.Fatal(err)
	}
	after := tempFiles(t, dir, "token.json")
	if len(after) != 0 {
		t.Errorf("after the next save, temporary files are left: %v", after)
	}
	t.Logf("%d processes killed while saving: %d left a temporary file (%d holding a whole token, %d part of one), each removed by the next process's first save; after the next writer saved: %d",
		kills, left, whole, partial, len(after))
}

// killSaverAfter starts cmd, a "save" helper, reads its reports, and
// kills it with SIGKILL delay after it has reported n saves.
func killSaverAfter(t *testing.T, cmd *exec.Cmd, n int, delay time.Duration) {
	t.Helper()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	for range n {
		if !sc.Scan() {
			cmd.Wait()
			t.Fatalf("the saving process ended before it was killed: %s", stderr.String())
		}
	}
	// A random moment of the next save: the crash's timing, which no
	// event may choose, not a wait for something to happen.
	kill := time.NewTimer(delay)
	<-kill.C
	cmd.Process.Signal(syscall.SIGKILL)
	io.Copy(io.Discard, stdout)
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("the saving process ended with %v, not by SIGKILL; stderr: %s", err, stderr.String())
	}
}

// A Save removes the temporary files that dead writers left, and only
// those: not one that a live writer in another process holds, nor one of
// another token file, nor a symbolic link named like one (nor what it
// points to).
func TestSaveRemovesOnlyTheTemporaryFilesOfDeadWriters(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "token.json")
	store, _ := tokenrefresh.NewFileStore(path)
	kill := locktest.StartHolder(t, helper("hold-temp", path), waitLimit)
	live := tempFiles(t, dir, "token.json")
	if len(live) != 1 {
		t.Fatalf("the live writer's temporary files: %v; want one", live)
	}
	record, _ := entry("left-by-an-older-version").MarshalBinary()
	stale := ".token.json.tmp-1234567890" // as os.CreateTemp named them
	other := ".other.json.tmp-0123456789abcdef"
	link := ".token.json.tmp-00000000000000aa"
	for _, name := range []string{stale, other, "target"} {
		os.WriteFile(filepath.Join(dir, name), record, 0o600)
	}
	symlink(t, filepath.Join(dir, "target"), filepath.Join(dir, link))

	if err := store.Save(context.Background(), entry("next")); err != nil {
		t.Fatal(err)
	}
	if got, want := tempFiles(t, dir, "token.json"), sorted(live[0], link); !slices.Equal(got, want) {
		t.Errorf("after a save beside a live writer, temporary files %v; want %v (the live writer's and the link)", got, want)
	}
	for _, name := range []string{other, "target"} {
		if got, _ := os.ReadFile(filepath.Join(dir, name)); !bytes.Equal(got, record) {
			t.Errorf("%s changed to %q", name, got)
		}
	}

	kill() // SIGKILL: the writer never renames its file
	if err := store.Save(context.Background(), entry("after")); err != nil {
		t.Fatal(err)
	}
	if got := tempFiles(t, dir, "token.json"); !slices.Equal(got, []string{link}) {
		t.Errorf("after the writer was killed and another saved, temporary files %v; want only the link", got)
	}
}

func sorted(s ...string) []string {
	slices.Sort(s)
	return s
}

// Processes saving at once, each cleaning up after the others, never
// fail: none removes a temporary file another is writing.
func TestSaversInSeveralProcessesNeverFail(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "token.json")
	const procs, saves = 4, 50
	var cmds []*exec.Cmd
	var outs []*bytes.Buffer
	for i := range procs {
		cmd := helper("save", path, fmt.Sprintf("%s=p%d", helperTokenEnv, i), fmt.Sprintf("%s=%d", helperRoundsEnv, saves))
		out := &bytes.Buffer{}
		cmd.Stderr = out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds, outs = append(cmds, cmd), append(outs, out)
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("process %d: %v\n%s", i, err, outs[i])
		}
	}
	if left := tempFiles(t, dir, "token.json"); len(left) != 0 {
		t.Errorf("after %d processes saved %d times each, temporary files are left: %v", procs, saves, left)
	}
	store, _ := tokenrefresh.NewFileStore(path)
	if _, err := store.Load(context.Background()); err != nil {
		t.Errorf("Load() after the saves = %v", err)
	}
}
