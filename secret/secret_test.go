package secret

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/big"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

const canary = "canary-7b1f0c2e9d"

var (
	testKey, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	keyD       = privateScalar(testKey) // the private scalar, in the decimal fmt prints
)

// holder keeps its secrets in unexported fields, where fmt may call no
// method: the Value's shape alone must keep them out of print.
type holder struct {
	s   String
	t   Token
	k   Signer
	ptr *String
}

type exported struct {
	S String
	T Token
}

func TestValuePrintsNoSecret(t *testing.T) {
	s := New(canary)
	tok := New(&oauth2.Token{AccessToken: canary, RefreshToken: canary + "r"})
	key := New(crypto.Signer(testKey))
	values := map[string]any{
		"String":           s,
		"Token":            tok,
		"*String":          &s,
		"holder":           holder{s: s, t: tok, k: key, ptr: &s},
		"*holder":          &holder{s: s, t: tok, k: key, ptr: &s},
		"Signer":           key,
		"exported":         exported{S: s, T: tok},
		"*exported":        &exported{S: s, T: tok},
		"[]holder":         []holder{{s: s, t: tok}},
		"map[string]Value": map[string]String{"k": s},
	}
	verbs := []string{"%v", "%+v", "%#v", "%s", "%q", "%d", "%x", "%X", "%T", "%p"}
	for name, v := range values {
		for _, verb := range verbs {
			if got := fmt.Sprintf(verb, v); strings.Contains(got, canary) || strings.Contains(got, keyD) {
				t.Errorf("Sprintf(%q, %s) = %q; holds the secret", verb, name, got)
			}
		}
		for _, newHandler := range []func(*bytes.Buffer) slog.Handler{
			func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
			func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
		} {
			var buf bytes.Buffer
			slog.New(newHandler(&buf)).Info("m", "v", v)
			if strings.Contains(buf.String(), canary) {
				t.Errorf("slog of %s = %q; holds the secret", name, buf.String())
			}
		}
		if b, _ := json.Marshal(v); bytes.Contains(b, []byte(canary)) {
			t.Errorf("json.Marshal(%s) = %s; holds the secret", name, b)
		}
	}
}

func TestValueReveals(t *testing.T) {
	if got := New(canary).Reveal(); got != canary {
		t.Errorf("New(%q).Reveal() = %q", canary, got)
	}
	tok := &oauth2.Token{AccessToken: canary}
	if got := New(tok).Reveal(); got != tok {
		t.Errorf("New(tok).Reveal() = %p; want %p", got, tok)
	}
}

func TestZeroValue(t *testing.T) {
	for name, v := range map[string]interface {
		IsZero() bool
		String() string
	}{
		"zero String":    String{},
		"New(\"\")":      New(""),
		"zero Token":     Token{},
		"New(nil token)": New((*oauth2.Token)(nil)),
	} {
		if !v.IsZero() {
			t.Errorf("%s.IsZero() = false; want true", name)
		}
		if s := v.String(); s != "" {
			t.Errorf("%s.String() = %q; want \"\"", name, s)
		}
	}
	if New("x").IsZero() {
		t.Error(`New("x").IsZero() = true; want false`)
	}
	if New("").Reveal() != "" || (Token{}).Reveal() != nil {
		t.Error("Reveal of a zero Value is not T's zero value")
	}
}

func TestPrintsRedacted(t *testing.T) {
	s := New(canary)
	for verb, want := range map[string]string{
		"%v": Redacted, "%s": Redacted, "%q": `"REDACTED"`, "%#v": `"REDACTED"`, "%d": Redacted,
	} {
		if got := fmt.Sprintf(verb, s); got != want {
			t.Errorf("Sprintf(%q, s) = %q; want %q", verb, got, want)
		}
	}
	if b, _ := json.Marshal(exported{S: s}); !bytes.Contains(b, []byte(`"S":"REDACTED"`)) {
		t.Errorf("json.Marshal = %s; want S as \"REDACTED\"", b)
	}
}

func TestUnmarshal(t *testing.T) {
	var got struct{ S String }
	if err := json.Unmarshal([]byte(`{"S":"`+canary+`"}`), &got); err != nil || got.S.Reveal() != canary {
		t.Errorf("json.Unmarshal = %v, %q; want %q", err, got.S.Reveal(), canary)
	}
	err := json.Unmarshal([]byte(`{"S":{"x":"`+canary+`"}}`), &got)
	if err == nil || strings.Contains(err.Error(), canary) {
		t.Errorf("json.Unmarshal(object into String) = %v; want an error without the input", err)
	}
	var s String
	if err := s.UnmarshalText([]byte(canary)); err != nil || s.Reveal() != canary {
		t.Errorf("UnmarshalText = %v, %q", err, s.Reveal())
	}
	var tok Token
	if err := tok.UnmarshalText([]byte(canary)); err == nil {
		t.Error("Token.UnmarshalText succeeded; want a refusal")
	}
}

// privateScalar returns k's private scalar in decimal, as fmt prints the
// big.Int inside an *ecdsa.PrivateKey.
func privateScalar(k *ecdsa.PrivateKey) string {
	b, err := k.Bytes()
	if err != nil {
		panic(err)
	}
	return new(big.Int).SetBytes(b).String()
}
