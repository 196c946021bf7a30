package tokenrefresh

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"testing"
)

// A marker's holder is known gone only if it ran in this pid space and
// its process has exited; a live one, one elsewhere, or an id of another
// shape is waited for.
func TestHolderGoneOnlyForADeadProcessHere(t *testing.T) {
	if ownSpace() == "" {
		t.Skipf("no pid space on %s: holders are always waited for", runtime.GOOS)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$") // exits at once
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	dead := cmd.Process.Pid // reaped by Run
	tests := []struct {
		owner string
		gone  bool
	}{
		{fmt.Sprintf("%s|%d|0123456789abcdef", ownSpace(), dead), true},
		{fmt.Sprintf("%s|%d|0123456789abcdef", ownSpace(), os.Getppid()), false},
		{fmt.Sprintf("%s|%d|0123456789abcdef", ownSpace(), os.Getpid()), false},
		{fmt.Sprintf("another-host|%d|0123456789abcdef", dead), false},
		{"0123456789abcdef", false}, // an id without a place
		{fmt.Sprintf("%s|x|0123456789abcdef", ownSpace()), false},
	}
	for _, tt := range tests {
		if got := holderGone(tt.owner); got != tt.gone {
			t.Errorf("holderGone(%q) = %v; want %v", tt.owner, got, tt.gone)
		}
	}
	if got := newOwnerID(); holderGone(got) || got == newOwnerID() {
		t.Errorf("newOwnerID() = %q: gone, or not new", got)
	}
}
