package bearer

import (
	"fmt"

	"github.com/bearer-go/bearer/internal/redact"
)

// Format prints the client as bearer.Client{REDACTED}, whatever the verb:
// it holds a token source, and fmt would walk fields that requests change.
func (c *Client) Format(f fmt.State, _ rune) { redact.Opaque(f, "bearer.Client") }
