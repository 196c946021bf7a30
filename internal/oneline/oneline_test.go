package oneline

import "testing"

func TestClean(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"  plain  ", 10, "plain"},
		{"two\nlines\r\x00", 20, "two lines"},
		{"bad \xff utf8", 20, "bad  utf8"},
		{"abcdefghij", 5, "abcde…"},
		{"", 5, ""},
	}
	for _, tt := range tests {
		if got := Clean(tt.in, tt.n); got != tt.want {
			t.Errorf("Clean(%q, %d) = %q; want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

func TestHTMLTitle(t *testing.T) {
	if got := HTMLTitle([]byte("<html><TITLE>502 Bad\nGateway</Title>"), 100); got != "502 Bad Gateway" {
		t.Errorf("HTMLTitle = %q", got)
	}
	for _, page := range []string{"<html>no title</html>", "<title>unclosed"} {
		if got := HTMLTitle([]byte(page), 100); got != "" {
			t.Errorf("HTMLTitle(%q) = %q; want empty", page, got)
		}
	}
}
