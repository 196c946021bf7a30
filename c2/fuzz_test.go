package c2_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/bearer-go/bearer/c2"
	"github.com/bearer-go/bearer/internal/fakeclock"
	"golang.org/x/oauth2"
)

// Whatever Charon answers a rotation with, the client either takes a
// usable token from it or plans a retry; it never panics, never gives up
// on a 200, and never publishes a token that cannot be sent.
func FuzzRotationAnswer(f *testing.F) {
	for _, body := range []string{
		`{"payload": "91ed8e01cca14407b83940fcc20d7a31"}`,
		`{"payload": ""}`, `{"payload": null}`, `{"payload": 5}`, `{}`, `[]`, `null`, ``,
		`{"payload": "two words"}`, `{"payload": "tab\there"}`, `{"payload": "\u0000"}`,
		`{"payload": "` + strings.Repeat("a", 2000) + `"}`, `{"payload": "ok"} trailing`, "\xff\xfe",
	} {
		f.Add([]byte(body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write(body)
		}))
		defer srv.Close()
		clk := fakeclock.New(epoch)
		rotated := make(chan *oauth2.Token, 1)
		c, err := c2.New(context.Background(), srv.URL, "91ed8e01cca14407b83940fcc20d7a31", c2.WithClock(clk),
			c2.WithOnRotate(func(_, n *oauth2.Token) { rotated <- n }))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
		defer cancel()
		if _, err := clk.AwaitTimer(ctx, func(d time.Time) bool { return d.After(epoch) }); err != nil {
			t.Fatalf("the client planned nothing after the rotation: %v", err)
		}
		select {
		case tok := <-rotated:
			s := tok.AccessToken
			if s == "" || len(s) > 1024 || strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
				t.Errorf("published an unusable token of %d bytes", len(s))
			}
		default:
			if st := c.Status(); st.Permanent || st.ConsecutiveFailures != 1 {
				t.Errorf("after an unusable answer Status() = %+v; want one failure, to be retried", st)
			}
		}
	})
}
