package bearer

import (
	"net/http"
	"testing"
)

// The parsers themselves are fuzzed in internal/httpx; these check the
// public wrappers.

func TestParseChallenge(t *testing.T) {
	c := ParseChallenge(`Bearer realm="c2", error="invalid_token", error_description="expired \"now\"", Basic realm="x"`)
	if c.Scheme != "Bearer" || c.Params["realm"] != "c2" || c.Params["error"] != "invalid_token" || c.Params["error_description"] != `expired "now"` {
		t.Errorf("ParseChallenge = %+v", c)
	}
	if _, ok := c.Params["basic realm"]; ok {
		t.Errorf("ParseChallenge read into the next challenge: %+v", c)
	}
	if c := ParseChallenge(""); c.Scheme != "" {
		t.Errorf(`ParseChallenge("") = %+v`, c)
	}
	h := http.Header{"Www-Authenticate": {`Basic realm="x", Bearer error="invalid_token"`, `Negotiate`}}
	if cs := ParseChallenges(h); len(cs) != 3 || cs[1].Params["error"] != "invalid_token" || cs[2].Scheme != "Negotiate" {
		t.Errorf("ParseChallenges = %+v; want Basic, Bearer, Negotiate", cs)
	}
}
