package httpx

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseChallenges(t *testing.T) {
	tests := []struct {
		name   string
		values []string
		want   []Challenge
	}{
		{"RFC 6750 3", []string{`Bearer realm="example", error="invalid_token", error_description="The access token expired"`},
			[]Challenge{{"Bearer", map[string]string{"realm": "example", "error": "invalid_token", "error_description": "The access token expired"}}}},
		{"seed 002", []string{`Basic realm="Password incorrect"`},
			[]Challenge{{"Basic", map[string]string{"realm": "Password incorrect"}}}},
		{"two in one header", []string{`Basic realm="x", Bearer realm="y", error=insufficient_scope, scope="a b"`},
			[]Challenge{{"Basic", map[string]string{"realm": "x"}}, {"Bearer", map[string]string{"realm": "y", "error": "insufficient_scope", "scope": "a b"}}}},
		{"several headers", []string{`Basic realm="x"`, `Bearer error="invalid_token"`},
			[]Challenge{{"Basic", map[string]string{"realm": "x"}}, {"Bearer", map[string]string{"error": "invalid_token"}}}},
		{"bare schemes", []string{`Negotiate, Basic realm=x`},
			[]Challenge{{"Negotiate", map[string]string{}}, {"Basic", map[string]string{"realm": "x"}}}},
		{"token68", []string{`Negotiate YIIB+w==, Bearer`},
			[]Challenge{{"Negotiate", map[string]string{"": "YIIB+w=="}}, {"Bearer", map[string]string{}}}},
		{"escapes and case", []string{`Bearer ERROR="a\"b", Error="second"`},
			[]Challenge{{"Bearer", map[string]string{"error": `a"b`}}}},
		{"unterminated quote keeps what came before", []string{`Bearer realm="x", error="oops`},
			[]Challenge{{"Bearer", map[string]string{"realm": "x"}}}},
		{"empty", []string{"", " , "}, nil},
	}
	for _, tt := range tests {
		if got := ParseChallenges(tt.values); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: ParseChallenges(%q) = %+v; want %+v", tt.name, tt.values, got, tt.want)
		}
	}
}

func FuzzParseChallenges(f *testing.F) {
	for _, s := range []string{
		`Bearer realm="example", error="invalid_token"`, `Bearer`, `Basic realm="x", Bearer error=insufficient_scope`,
		`Bearer error="a\"b"`, `=`, `Bearer ,,, x=`, `Negotiate abc==`, `a b c d`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		cs := ParseChallenges([]string{header, header})
		if len(cs) > maxChallenges {
			t.Errorf("ParseChallenges(%q) kept %d challenges", header, len(cs))
		}
		for _, c := range cs {
			if c.Scheme == "" {
				t.Errorf("ParseChallenges(%q) has a challenge without a scheme", header)
			}
			for k := range c.Params {
				if k != strings.ToLower(k) {
					t.Errorf("ParseChallenges(%q) kept a param name in mixed case: %q", header, k)
				}
			}
		}
	})
}
