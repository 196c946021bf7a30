package expiry

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestParseExpiresIn(t *testing.T) {
	tests := []struct {
		raw  string
		want time.Duration
		ok   bool
	}{
		{`839`, 839 * time.Second, true},
		{`"900"`, 900 * time.Second, true},
		{`" 60 "`, time.Minute, true},
		{`1e12`, MaxLifetime, true},
		{`0`, 0, false},
		{`-5`, 0, false},
		{`"soon"`, 0, false},
		{``, 0, false},
		{`null`, 0, false},
	}
	for _, tt := range tests {
		got, ok := ParseExpiresIn(json.RawMessage(tt.raw))
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseExpiresIn(%s) = %v, %v; want %v, %v", tt.raw, got, ok, tt.want, tt.ok)
		}
	}
}

func TestJWTExpiry(t *testing.T) {
	exp := time.Date(2026, 11, 23, 12, 15, 0, 0, time.UTC)
	signed, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"exp": exp.Unix()}).SignedString([]byte("key the client never has"))
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := JWTExpiry(signed); !ok || !got.Equal(exp) {
		t.Errorf("JWTExpiry(signed token) = %v, %v; want %v", got, ok, exp)
	}
	noExp, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "x"}).SignedString([]byte("k"))
	for _, tok := range []string{"opaque-token", "a.b.c", noExp} {
		if _, ok := JWTExpiry(tok); ok {
			t.Errorf("JWTExpiry(%q) found an expiry", tok)
		}
	}
}

func TestEarliest(t *testing.T) {
	issued := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	jwtExp := func(exp time.Time) string {
		s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"exp": exp.Unix()}).SignedString([]byte("k"))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	tests := []struct {
		name      string
		expiresIn string
		access    string
		want      time.Time
		ok        bool
	}{
		{"exp earlier than expires_in", `900`, jwtExp(issued.Add(899 * time.Second)), issued.Add(899 * time.Second), true},
		{"expires_in earlier than exp", `839`, jwtExp(issued.Add(900 * time.Second)), issued.Add(839 * time.Second), true},
		{"expires_in alone", `60`, "opaque", issued.Add(time.Minute), true},
		{"exp alone", ``, jwtExp(issued.Add(time.Hour)), issued.Add(time.Hour), true},
		{"exp in the past: clocks disagree, expires_in wins", `900`, jwtExp(issued.Add(-time.Hour)), issued.Add(900 * time.Second), true},
		{"exp equal to issued", `900`, jwtExp(issued), issued.Add(900 * time.Second), true},
		{"neither", `"soon"`, "opaque", time.Time{}, false},
		{"exp alone, in milliseconds", ``, jwtExp(time.Unix(issued.Add(time.Hour).UnixMilli(), 0)), issued.Add(MaxLifetime), true},
		{"exp alone, beyond a year", ``, jwtExp(issued.Add(2 * MaxLifetime)), issued.Add(MaxLifetime), true},
	}
	for _, tt := range tests {
		got, ok := Earliest(issued, json.RawMessage(tt.expiresIn), tt.access)
		if !got.Equal(tt.want) || ok != tt.ok {
			t.Errorf("%s: Earliest() = %v, %v; want %v, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
}
