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

// TestRegistryRedactsEveryEncoding: each character of a secret may be
// written raw or escaped, in any mixture, by the encoders of any language.
func TestRegistryRedactsEveryEncoding(t *testing.T) {
	const v = "CANARYtok/7f3a&9c1e+5b2d=4068 é😀"
	var r Registry
	r.Add(v)
	q := url.QueryEscape(v)
	b64 := func(enc *base64.Encoding, s string) string { return enc.EncodeToString([]byte(s)) }
	forms := map[string]string{
		"lower-case percent":       q[:9] + strings.NewReplacer("%2F", "%2f", "%2B", "%2b", "%3D", "%3d", "%C3%A9", "%c3%a9").Replace(q[9:]),
		"Python quote (keeps /)":   strings.ReplaceAll(q, "%2F", "/"),
		"space as %20":             strings.ReplaceAll(q, "+", "%20"),
		"encoded twice":            strings.ReplaceAll(q, "%", "%25"),
		`JSON \u002f`:              `CANARYtok\u002f7f3a\u00269c1e+5b2d=4068 \u00e9\ud83d\ude00`,
		`JSON \u002F upper`:        `CANARYtok\u002F7f3a\u00269c1e\u002B5b2d\u003D4068\u0020\u00E9\uD83D\uDE00`,
		`JSON every char`:          jsonEscapeAll(v),
		"HTML &amp;":               "CANARYtok/7f3a&amp;9c1e+5b2d=4068 é😀",
		"HTML numeric":             "CANARYtok&#47;7f3a&#38;9c1e&#x2B;5b2d&#X3d;4068 &#233;&#128512;",
		"base64 URL padded":        b64(base64.URLEncoding, v),
		"base64 std raw":           b64(base64.RawStdEncoding, v),
		"base64 inside x:":         b64(base64.StdEncoding, "x:"+v),
		"base64 inside xy-":        b64(base64.URLEncoding, "xy-"+v),
		"base64 inside id:escaped": b64(base64.StdEncoding, "i:"+q),
	}
	for name, f := range forms {
		got := r.Redact("before " + f + " after")
		if strings.Contains(got, "CANARY") || strings.Contains(got, f) || strings.Contains(got, f[4:len(f)-4]) {
			t.Errorf("Redact(%s form %q) = %q; want it removed", name, f, got)
		}
	}
}

func jsonEscapeAll(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r > 0xFFFF {
			r1, r2 := utf16Pair(r)
			fmt.Fprintf(&b, `\u%04x\u%04X`, r1, r2)
			continue
		}
		fmt.Fprintf(&b, `\u%04x`, r)
	}
	return b.String()
}

func utf16Pair(r rune) (rune, rune) {
	r -= 0x10000
	return 0xD800 + r>>10, 0xDC00 + r&0x3FF
}

// TestRegistryCutInsideAnEscape: a text cut in the middle of an encoded
// secret, even in the middle of one escape, keeps no piece of it.
func TestRegistryCutInsideAnEscape(t *testing.T) {
	var r Registry
	r.Add(tok)
	for _, enc := range []string{url.QueryEscape(tok), strings.ToLower(url.QueryEscape(tok)), `eyJhbGciOi.J9\u002fpay\u002bload\u0026x\u003cy\u003e==`,
		"eyJhbGciOi.J9/pay+load&amp;x&lt;y&gt;=="} {
		body := "start " + enc
		for n := len("start ") + minSecretLen; n < len(body); n++ {
			got := r.RedactCut(body[:n], n)
			if strings.Contains(got, "eyJh") || strings.Contains(got, "J9") {
				t.Errorf("RedactCut(%q) = %q; keeps a piece of the token", body[:n], got)
			}
		}
	}
}

// TestRegistryLeavesOtherTextAlone: escapes that encode no secret, and
// text around a short secret, are kept as they are.
func TestRegistryLeavesOtherTextAlone(t *testing.T) {
	var r Registry
	r.Add("pass", tok)
	for _, s := range []string{`a%2Fb \u0026 &amp; &#47; %25 \\ + % & \ &x; \u12`, "passport", "REDACTED", ""} {
		want := strings.ReplaceAll(s, "pass", Placeholder)
		if got := r.Redact(s); got != want {
			t.Errorf("Redact(%q) = %q; want %q", s, got, want)
		}
	}
	if got := r.Redact("p%61ss and p&#97;ss"); got != "REDACTED and REDACTED" {
		t.Errorf("Redact(an encoded short secret) = %q; want both removed", got)
	}
}

// BenchmarkRegistryRedact: an error body with no secret in it, redacted:
// a typical one (200 bytes, a client with 3 secrets), and the worst of an
// error path (MaxErrorBody's 16 KiB, a full registry of 32 token-sized
// secrets: every position is tried).
func BenchmarkRegistryRedact(b *testing.B) {
	const line = `{"error":"invalid_grant","error_description":"the grant is 100% expired & gone\/"} `
	for _, bc := range []struct {
		name    string
		secrets int
		body    string
	}{
		{"200B,3secrets", 3, strings.Repeat(line, 3)[:200]},
		{"16KiB,32secrets", maxRegistered, strings.Repeat(line, 16<<10/len(line))},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var r Registry
			for i := range bc.secrets {
				r.Add(fmt.Sprintf("%s-%02d", tok, i))
			}
			b.SetBytes(int64(len(bc.body)))
			for b.Loop() {
				r.Redact(bc.body)
			}
		})
	}
}

// TestRegistryLongestFirst: a secret that holds a shorter one is removed
// whole, whatever order they were added in.
func TestRegistryLongestFirst(t *testing.T) {
	var r Registry
	r.Add("cdef")
	r.Add("abcdefgh")
	if got := r.Redact("x abcdefgh y", "bcdefg"); got != "x REDACTED y" {
		t.Errorf("Redact = %q; want the longer secret removed whole", got)
	}
}
