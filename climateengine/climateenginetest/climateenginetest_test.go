package climateenginetest_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/bearer-go/bearer/climateengine/climateenginetest"
	"github.com/bearer-go/bearer/oauth/oauthtest"
	"github.com/golang-jwt/jwt/v5"
)

// The fake answers at the tutorial's paths, with the service's issuer and
// audiences in its tokens.
func TestServesTheTutorialsPaths(t *testing.T) {
	auth, srv := climateenginetest.Start(t, oauthtest.Config{})
	auth.AddUser("bennett@example.com", "hunter2")
	resp, err := http.PostForm(srv.URL+climateenginetest.TokenPath,
		url.Values{"grant_type": {"password"}, "username": {"bennett@example.com"}, "password": {"hunter2"}})
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
		ExpiresAt   int64  `json:"expires_at"`
	}
	err = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || tok.ExpiresAt == 0 {
		t.Fatalf("POST %s = %d, %+v, %v; want 200 with access_token and expires_at", climateenginetest.TokenPath, resp.StatusCode, tok, err)
	}
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(tok.AccessToken, claims); err != nil {
		t.Fatal(err)
	}
	aud, _ := claims.GetAudience()
	if claims["iss"] != climateenginetest.Issuer || strings.Join(aud, " ") != climateenginetest.Issuer+" "+climateenginetest.APIAudience {
		t.Errorf("iss, aud = %v, %v; want %s and %s", claims["iss"], aud, climateenginetest.Issuer, climateenginetest.APIAudience)
	}
	req, _ := http.NewRequest(http.MethodGet, srv.URL+climateenginetest.UsersMePath, nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET %s = %d; want 200", climateenginetest.UsersMePath, resp.StatusCode)
	}
}

// Configure fills only what the caller left empty.
func TestConfigureKeepsWhatIsSet(t *testing.T) {
	own := oauthtest.Paths{TokenEndpoint: "/t"}
	cfg := climateenginetest.Configure(oauthtest.Config{Issuer: "https://as.example", Paths: own})
	if cfg.Issuer != "https://as.example" || cfg.Paths != own || cfg.APIAudience != climateenginetest.APIAudience {
		t.Errorf("Configure = issuer %q, paths %+v, audience %q; want the caller's issuer and paths, the service's audience",
			cfg.Issuer, cfg.Paths, cfg.APIAudience)
	}
	if cfg := climateenginetest.Configure(oauthtest.Config{}); cfg.Paths != climateenginetest.Paths() || cfg.Issuer != climateenginetest.Issuer {
		t.Errorf("Configure(zero) = paths %+v, issuer %q; want the service's", cfg.Paths, cfg.Issuer)
	}
}
