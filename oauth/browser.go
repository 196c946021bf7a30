package oauth

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"runtime"
	"time"
)

// openerGrace is how long Login lets the browser opener finish after the
// login ended before it cancels it: xdg-open and friends return at once;
// a test's HTTP client may be reading the last page.
const openerGrace = 10 * time.Second

// OpenBrowser opens u in the user's browser with the platform's opener:
// open on macOS, rundll32 on Windows, xdg-open elsewhere. It is the
// default of [AuthCodeConfig.OpenBrowser]; it fails where there is no
// opener (a server, a container), and the login then ends at once.
func OpenBrowser(ctx context.Context, u string) error {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.CommandContext(ctx, "open", u)
	case "windows":
		cmd = exec.CommandContext(ctx, "rundll32", "url.dll,FileProtocolHandler", u)
	default:
		cmd = exec.CommandContext(ctx, "xdg-open", u)
	}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("oauth: open a browser: %w", err)
	}
	return nil
}

// PrintURL returns an [AuthCodeConfig.OpenBrowser] that writes the
// authorization URL to w for the user to open, such as in a browser on
// the same machine reached over a forwarded port. The login then waits
// for the redirect as usual.
func PrintURL(w io.Writer) func(ctx context.Context, authURL string) error {
	return func(_ context.Context, authURL string) error {
		_, err := fmt.Fprintf(w, "Open this address in a browser to sign in:\n\n    %s\n\n", authURL)
		return err
	}
}

// startOpener runs open in a goroutine, on a context that ends with ctx.
// The channel receives its result once. stop lets it finish for up to
// openerGrace, then cancels it and waits for it.
func startOpener(ctx context.Context, open func(context.Context, string) error, authURL string) (<-chan error, func()) {
	ctx, cancel := context.WithCancel(ctx)
	result := make(chan error, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		result <- open(ctx, authURL)
	}()
	return result, func() {
		t := time.NewTimer(openerGrace)
		defer t.Stop()
		select {
		case <-done:
		case <-t.C:
		}
		cancel()
		<-done
	}
}
