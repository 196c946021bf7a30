package tokenrefresh

import (
	"fmt"

	"github.com/bearer-go/bearer/internal/redact"
)

// Format prints the Refresher as tokenrefresh.Refresher{REDACTED},
// whatever the verb: it holds tokens, and its loop changes its fields
// while fmt would read them. Use [Refresher.Status] to see its state.
func (r *Refresher) Format(f fmt.State, _ rune) { redact.Opaque(f, "tokenrefresh.Refresher") }
