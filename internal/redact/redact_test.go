package redact

import (
	"net/url"
	"strings"
	"testing"
)

func TestString(t *testing.T) {
	const secret = "s3cr3t+/value="
	tests := []struct{ in, want string }{
		{"token " + secret + " end", "token REDACTED end"},
		{"q=" + url.QueryEscape(secret), "q=REDACTED"},
		{"nothing here", "nothing here"},
	}
	for _, tt := range tests {
		if got := String(tt.in, secret, "", "ab"); got != tt.want {
			t.Errorf("String(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestURL(t *testing.T) {
	u, err := url.Parse("https://user:pw@api.example/charon/tokens/0123456789abcdef?access_token=AAA&platform=x#frag")
	if err != nil {
		t.Fatal(err)
	}
	got := URL(u, "0123456789abcdef")
	for _, leak := range []string{"pw", "AAA", "0123456789abcdef", "frag"} {
		if strings.Contains(got, leak) {
			t.Errorf("URL() = %q; leaks %q", got, leak)
		}
	}
	if !strings.Contains(got, "platform=x") {
		t.Errorf("URL() = %q; lost the harmless parameter", got)
	}
	if u.User.String() != "user:pw" {
		t.Error("URL() modified its argument")
	}
	if URL(nil) != "" {
		t.Error(`URL(nil) != ""`)
	}
}
