package redact

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
)

const tok = "eyJhbGciOi.J9/pay+load&x<y>=="

func TestRegistryRedactsEveryForm(t *testing.T) {
	var r Registry
	r.Add(tok)
	htmlJSON, _ := json.Marshal(tok)
	forms := map[string]string{
		"raw":              tok,
		"query":            url.QueryEscape(tok),
		"path":             url.PathEscape(tok),
		"json":             string(htmlJSON[1 : len(htmlJSON)-1]),
		"json, no html":    `eyJhbGciOi.J9/pay+load&x<y>==`,
		"json, slashes":    strings.ReplaceAll(string(htmlJSON[1:len(htmlJSON)-1]), "/", `\/`),
		"base64":           base64.StdEncoding.EncodeToString([]byte(tok)),
		"base64url":        base64.RawURLEncoding.EncodeToString([]byte(tok)),
		"slashes, no html": `eyJhbGciOi.J9\/pay+load&x<y>==`,
	}
	for name, f := range forms {
		in := "before " + f + " after"
		if got := r.Redact(in); got != "before REDACTED after" {
			t.Errorf("Redact(%s form %q) = %q; want it removed", name, in, got)
		}
	}
}

func TestRegistryExtraAndShort(t *testing.T) {
	var r Registry
	r.Add("ab", "")
	if got := r.Redact("ab cd"); got != "ab cd" {
		t.Errorf("Redact kept a short value as a secret: %q", got)
	}
	if got := r.Redact("x pass-word y", "pass-word"); got != "x REDACTED y" {
		t.Errorf("Redact(extra) = %q", got)
	}
	var nilReg *Registry
	if got := nilReg.Redact("x pass-word y", "pass-word"); got != "x REDACTED y" {
		t.Errorf("nil Registry Redact(extra) = %q", got)
	}
}

func TestRegistryRedactBeforeCut(t *testing.T) {
	var r Registry
	r.Add(tok)
	body := strings.Repeat("x", 20) + tok + " tail"
	for n := 20; n <= len(body); n++ {
		got := r.RedactCut(body, n)
		if len(got) > n+len(Placeholder) {
			t.Errorf("RedactCut(body, %d) is %d bytes long", n, len(got))
		}
		for k := minSecretLen; k <= len(tok); k++ {
			if strings.Contains(got, tok[:k]) {
				t.Fatalf("RedactCut(body, %d) = %q; keeps %d bytes of the token", n, got, k)
			}
		}
	}
	// A body that was itself cut inside the token, by a read limit.
	cut := "xxxx" + tok[:len(tok)-3]
	if got := r.RedactCut(cut, 1000); strings.Contains(got, tok[:minSecretLen]) {
		t.Errorf("RedactCut(%q) = %q; keeps the piece of the token", cut, got)
	}
}

func TestRegistryPrintsNoSecret(t *testing.T) {
	var r Registry
	r.Add(tok)
	type holder struct{ r *Registry }
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		for _, v := range []any{&r, holder{&r}} {
			if got := fmt.Sprintf(verb, v); strings.Contains(got, "pay") {
				t.Errorf("Sprintf(%q, registry) = %q; holds the secret", verb, got)
			}
		}
	}
}

func TestRegistryBounded(t *testing.T) {
	var r Registry
	for i := range maxRegistered + 5 {
		r.Add(fmt.Sprintf("secret-%03d", i))
	}
	if n := len(r.forms); n != maxRegistered {
		t.Errorf("len(forms) = %d; want %d", n, maxRegistered)
	}
	if got := r.Redact("secret-000"); got != "secret-000" {
		t.Errorf("the oldest secret is still remembered: %q", got)
	}
	if got := r.Redact(fmt.Sprintf("secret-%03d", maxRegistered+4)); got != Placeholder {
		t.Errorf("the newest secret is not redacted: %q", got)
	}
}

func TestRegistryAddRefreshesASecret(t *testing.T) {
	var r Registry
	r.Add("client-secret")
	for i := range maxRegistered * 2 {
		r.Add(fmt.Sprintf("token-%03d", i))
		r.Add("client-secret") // as a client does with every request
	}
	if got := r.Redact("client-secret"); got != Placeholder {
		t.Errorf("a secret added again with every request was forgotten: %q", got)
	}
	if n := len(r.forms); n != maxRegistered {
		t.Errorf("len(forms) = %d; want %d", n, maxRegistered)
	}
}
