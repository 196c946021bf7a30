package c2

import (
	"fmt"

	"github.com/bearer-go/bearer/internal/redact"
)

// Format prints the client as c2.Client{REDACTED}, whatever the verb: it
// holds the token it keeps alive. Use [Client.Status] to see its state.
func (c *Client) Format(f fmt.State, _ rune) { redact.Opaque(f, "c2.Client") }
