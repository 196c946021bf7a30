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

func TestIsSensitiveParam(t *testing.T) {
	for _, k := range []string{
		"access_token", "Refresh_Token", "api-key", "API_KEY", "x-api-key", "auth", "jwt", "X-Amz-Signature",
		"X-Amz-Credential", "x-amz-security-token", "X-Goog-Signature", "sessionid", "SessionId", "session_id",
		"private_key", "private-key", "pw", "passwd", "credentials", "client_secret", "db_password", "code",
	} {
		if !IsSensitiveParam(k) {
			t.Errorf("IsSensitiveParam(%q) = false; want true", k)
		}
	}
	for _, k := range []string{"platform", "author", "page", "limit", "X-Amz-Date", "region", "state", "scope"} {
		if IsSensitiveParam(k) {
			t.Errorf("IsSensitiveParam(%q) = true; want false", k)
		}
	}
}

func TestURLRedactsSignedURLs(t *testing.T) {
	u, _ := url.Parse("https://bucket.s3.example/o?X-Amz-Credential=AKIA-cred&X-Amz-Signature=sig-value&X-Amz-Date=20240101&api-key=k-value&pw=p-value")
	got := URL(u)
	for _, leak := range []string{"AKIA-cred", "sig-value", "k-value", "p-value"} {
		if strings.Contains(got, leak) {
			t.Errorf("URL() = %q; leaks %q", got, leak)
		}
	}
	if !strings.Contains(got, "X-Amz-Date=20240101") {
		t.Errorf("URL() = %q; lost the harmless parameter", got)
	}
}

func TestRawURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"ftp://alice:pw-secret@host/p?api-key=k-secret&page=2", "ftp://REDACTED@host/p?api-key=REDACTED&page=2"},
		{"api.example/?api-key=k-secret", "api.example/?api-key=REDACTED"},
		{"https://alice:pw-secret@host:xx/p?sig=k-secret", "https://REDACTED@host:xx/p?REDACTED"},
		{"https://host/%zz?access_token=k-secret", "https://host/%zz?REDACTED"},
		{"alice:pw-secret@host:xx", "alice:REDACTED@host:xx"},
		{"https://host/tok-secret-1", "https://host/REDACTED"},
	}
	for _, tt := range tests {
		if got := RawURL(tt.in, "tok-secret-1"); got != tt.want {
			t.Errorf("RawURL(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}
