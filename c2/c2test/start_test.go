package c2test_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/bearer-go/bearer/c2/c2test"
)

func TestStartServesUntilTheTestEnds(t *testing.T) {
	var srvURL string
	t.Run("inner", func(t *testing.T) {
		fake, srv := c2test.Start(t, c2test.Options{})
		srvURL = srv.URL
		req, _ := http.NewRequest(http.MethodGet, srv.URL+c2test.DriversPath, nil)
		req.Header.Set("Authorization", "Bearer "+fake.IssueToken())
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatalf("GET drivers: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET drivers = %d; want 200", resp.StatusCode)
		}
	})
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	if resp, err := client.Get(srvURL + c2test.DriversPath); err == nil {
		resp.Body.Close()
		t.Errorf("GET after the test that started the server ended = %d; want a refused connection", resp.StatusCode)
	}
}

func TestServerPrintsNoToken(t *testing.T) {
	fake := c2test.New(c2test.Options{})
	tok := fake.IssueToken()
	var out []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%d", "%x"} {
		out = append(out, fmt.Sprintf(verb, fake))
	}
	var log strings.Builder
	slog.New(slog.NewTextHandler(&log, nil)).Info("m", "fake", fake)
	slog.New(slog.NewJSONHandler(&log, nil)).Info("m", "fake", fake)
	out = append(out, log.String())
	for _, s := range out {
		if strings.Contains(s, tok) || strings.Contains(s, fmt.Sprintf("%x", tok)) {
			t.Errorf("a rendering of the Server shows its token: %.200s", s)
		}
	}
	if got := fmt.Sprint(fake); got != "c2test.Server{REDACTED}" {
		t.Errorf("Sprint(Server) = %q; want c2test.Server{REDACTED}", got)
	}
}
