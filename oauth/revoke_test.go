package oauth_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bearer-go/bearer/internal/testkeys"
	"github.com/bearer-go/bearer/oauth"
	"github.com/bearer-go/bearer/secret"
	"github.com/bearer-go/bearer/tokenrefresh"
)

func newRevoker(t *testing.T, cfg oauth.RevocationConfig) *oauth.Revoker {
	t.Helper()
	cfg.Now = fixedNow
	r, err := oauth.NewRevoker(cfg)
	if err != nil {
		t.Fatalf("NewRevoker: %v", err)
	}
	return r
}

func TestRevoke(t *testing.T) {
	ts := newTokenServer(t, 200, "")
	r := newRevoker(t, oauth.RevocationConfig{RevocationURL: ts.URL + "/revoke", Client: oauth.ClientAuth{Method: oauth.ClientSecretPost, ID: "c", Secret: secret.New("s3cret")}})
	if err := r.Revoke(bounded(t), "rt-value", oauth.HintRefreshToken); err != nil {
		t.Fatalf("Revoke() = %v", err)
	}
	const want = "client_id=c&client_secret=s3cret&token=rt-value&token_type_hint=refresh_token"
	if got := ts.last(t); got.method != http.MethodPost || got.body != want {
		t.Errorf("request = %s %q; want POST %q", got.method, got.body, want)
	}
}

func TestRevokeAssertionAudienceIsTheTokenEndpoint(t *testing.T) {
	ts := newTokenServer(t, 200, "")
	auth := oauth.ClientAuth{Method: oauth.PrivateKeyJWT, ID: "svc", Key: secret.NewSigner(testkeys.ECP256())}
	if _, err := oauth.NewRevoker(oauth.RevocationConfig{RevocationURL: ts.URL + "/revoke", Client: auth}); err == nil {
		t.Error("NewRevoker with an assertion and no TokenURL = nil error; want one")
	}
	r := newRevoker(t, oauth.RevocationConfig{RevocationURL: ts.URL + "/revoke", TokenURL: ts.URL + "/token", Client: auth})
	if err := r.Revoke(bounded(t), "at-value", ""); err != nil {
		t.Fatalf("Revoke() = %v", err)
	}
	req := ts.last(t)
	checkAssertion(t, req, "ES256", &testkeys.ECP256().PublicKey, "svc", ts.URL+"/token")
	if req.form.Has("token_type_hint") {
		t.Error("an empty hint was sent")
	}
}

func TestRevokeErrors(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		header     string
		body       string
		permanent  bool
		retryAfter time.Duration
	}{
		{"unavailable", 503, "30", `{"error":"temporarily_unavailable"}`, false, 30 * time.Second},
		{"unsupported token type", 400, "", `{"error":"unsupported_token_type"}`, true, 0},
		{"bad client", 401, "", `{"error":"invalid_client"}`, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTokenServer(t, tt.status, tt.body)
			ts.setHandler(func(w http.ResponseWriter, r *http.Request) {
				if tt.header != "" {
					w.Header().Set("Retry-After", tt.header)
				}
				w.WriteHeader(tt.status)
				w.Write([]byte(tt.body))
			})
			r := newRevoker(t, oauth.RevocationConfig{RevocationURL: ts.URL, Client: oauth.ClientAuth{Method: oauth.AuthNone, ID: "app"}})
			err := r.Revoke(bounded(t), "tok-value-1", oauth.HintAccessToken)
			var oe *oauth.Error
			if !errors.As(err, &oe) || oe.Permanent() != tt.permanent || oe.RetryAfter() != tt.retryAfter {
				t.Errorf("Revoke() = %v; want an *Error, permanent %v, Retry-After %v", err, tt.permanent, tt.retryAfter)
			}
			if tokenrefresh.IsPermanent(err) != tt.permanent || strings.Contains(err.Error(), "tok-value-1") {
				t.Errorf("Revoke() = %v; want permanent %v and no token in the message", err, tt.permanent)
			}
			if len(ts.requests()) != 1 {
				t.Errorf("Revoke() sent %d requests; want 1 (no retries)", len(ts.requests()))
			}
		})
	}
	r := newRevoker(t, oauth.RevocationConfig{RevocationURL: "https://as.example/revoke"})
	if err := r.Revoke(bounded(t), "", ""); err == nil {
		t.Error("Revoke of an empty token = nil error")
	}
}

// Against the test kit's revocation endpoint, found by discovery: revoking
// a refresh token ends its grant there.
func TestRevokeAgainstTheKit(t *testing.T) {
	f := setupFakeIssuer(t, time.Now)
	rt, err := f.srv.IssueRefreshToken(f.client.ClientID, "")
	if err != nil {
		t.Fatal(err)
	}
	md, err := oauth.Discover(bounded(t), f.auth.URL, oauth.Settings{})
	if err != nil {
		t.Fatalf("Discover: %v", err)
	}
	r, err := oauth.NewRevoker(oauth.RevocationConfig{Metadata: md,
		Client: oauth.ClientAuth{Method: oauth.ClientSecretJWT, ID: f.client.ClientID, Secret: f.client.ClientSecret}})
	if err != nil {
		t.Fatalf("NewRevoker: %v", err)
	}
	if err := r.Revoke(bounded(t), rt, oauth.HintRefreshToken); err != nil {
		t.Fatalf("Revoke() = %v", err)
	}
	if f.srv.Active(rt) || f.srv.Stats().Revocations != 1 {
		t.Errorf("after Revoke: Active %v, Revocations %d; want false, 1", f.srv.Active(rt), f.srv.Stats().Revocations)
	}
	if err := r.Revoke(bounded(t), rt, oauth.HintRefreshToken); err != nil {
		t.Errorf("Revoke(a revoked token) = %v; want nil (RFC 7009 2.2)", err)
	}
}
