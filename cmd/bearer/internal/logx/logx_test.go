package logx

import (
	"errors"
	"log/slog"
	"net/url"
	"strings"
	"testing"

	"github.com/bearer-go/bearer/internal/redact"
	"github.com/bearer-go/bearer/internal/syncbuf"
)

const secret = "tok-0123456789abcdef"

// Every record is redacted wherever the secret sits: the message, string
// and error attributes, groups, attributes added with With, in text and
// JSON, raw or URL-encoded.
func TestRedactsEveryRecord(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		var out syncbuf.Buffer
		reg := &redact.Registry{}
		reg.Add(secret)
		log := New(&out, format, reg).With("with", "a "+secret)
		log.Info("refreshed "+secret, "s", secret, "err", errors.New("401 for "+url.QueryEscape(secret+"/x")),
			slog.Group("g", "inner", secret), "n", 3)
		log.WithGroup("grp").Warn("w", "k", secret)
		got := out.String()
		if strings.Contains(got, secret) || strings.Contains(got, url.QueryEscape(secret)) {
			t.Errorf("%s log holds the secret:\n%s", format, got)
		}
		if strings.Count(got, redact.Placeholder) < 6 || !strings.Contains(got, "3") {
			t.Errorf("%s log lost what is not secret:\n%s", format, got)
		}
	}
}
