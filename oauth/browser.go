package oauth

import (
	"context"
	"fmt"
	"os/exec"
	"runtime"
)

// OpenBrowser opens u in the user's browser with the platform's opener:
// open on macOS, rundll32 on Windows, xdg-open elsewhere. It is the
// default of [AuthCodeConfig.OpenBrowser]; it fails where there is no
// opener (a server, a container), and the flow then prints the URL.
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
