package climateengine

import (
	"fmt"

	"github.com/bearer-go/bearer/internal/redact"
)

// Format prints the client as climateengine.Client{REDACTED}, whatever the
// verb: it holds credentials and tokens. Use [Client.Status] to see its
// state.
func (c *Client) Format(f fmt.State, _ rune) { redact.Opaque(f, "climateengine.Client") }
