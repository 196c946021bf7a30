package oauth_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bearer-go/bearer/internal/fakeclock"
	"github.com/bearer-go/bearer/oauth"
	"github.com/bearer-go/bearer/oauth/oauthtest"
	"github.com/bearer-go/bearer/tokenrefresh"
	"golang.org/x/oauth2"
)

// maxDriveStep is the longest wait drive lets pass: the device flow's
// polls, never a Refresher's schedule minutes away.
const maxDriveStep = time.Minute

// drive plays the passing of time for a flow that waits on clk: it
// advances the clock to each timer the flow sets within maxDriveStep, and
// returns the waits it saw once done is closed. Only drive moves clk
// meanwhile.
func drive(t *testing.T, clk *fakeclock.Clock, done <-chan struct{}) []time.Duration {
	t.Helper()
	ctx, cancel := context.WithCancel(bounded(t))
	defer cancel()
	stopped := make(chan struct{})
	defer close(stopped)
	go func() {
		select {
		case <-done:
		case <-stopped:
		}
		cancel()
	}()
	var waits []time.Duration
	for {
		now := clk.Now()
		at, err := clk.AwaitTimer(ctx, func(d time.Time) bool { return d.Sub(now) <= maxDriveStep })
		if err != nil {
			return waits
		}
		d := at.Sub(now)
		waits = append(waits, d)
		clk.Advance(d)
	}
}

// loginResult runs login in a goroutine while drive plays the clock.
func loginResult(t *testing.T, clk *fakeclock.Clock, login func(context.Context) (*oauth2.Token, error)) (*oauth2.Token, []time.Duration, error) {
	t.Helper()
	done := make(chan struct{})
	var tok *oauth2.Token
	var err error
	go func() {
		defer close(done)
		tok, err = login(bounded(t))
	}()
	waits := drive(t, clk, done)
	<-done
	return tok, waits, err
}

func TestDeviceLoginAgainstFakeauth(t *testing.T) {
	clk := fakeclock.New(epoch)
	f := setupFake(t, clk.Now)
	f.srv.ApproveDevicesAfter(2) // the user approves while the device polls
	var prompt strings.Builder
	d, err := oauth.NewDevice(oauth.DeviceConfig{DeviceAuthURL: f.auth.URL + oauthtest.DeviceAuthorizationPath, TokenURL: f.tokenURL(),
		Client: oauth.ClientAuth{Method: oauth.AuthNone, ID: f.client.ClientID}, Scopes: []string{"offline_access"},
		Output: &prompt, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	tok, waits, err := loginResult(t, clk, d.Login)
	if err != nil || tok.RefreshToken == "" || f.me(t, tok.AccessToken) != http.StatusOK {
		t.Fatalf("Login() = %+v, %v; want working tokens", tok, err)
	}
	if len(waits) != 3 || waits[0] != 5*time.Second || waits[2] != 5*time.Second {
		t.Errorf("waits = %v; want three of the server's 5 s interval (pending, pending, token)", waits)
	}
	if st := f.srv.Stats().TokenCalls; st["device_code"] != 3 {
		t.Errorf("TokenCalls = %v; want 3 polls and no slow_down", st)
	}
	for _, want := range []string{oauthtest.DefaultIssuer + oauthtest.DeviceVerificationPath, "enter the code", "user_code=", "valid for 30 minutes"} {
		if !strings.Contains(prompt.String(), want) {
			t.Errorf("prompt lacks %q:\n%s", want, prompt.String())
		}
	}
	if _, err := d.Refresh(bounded(t), tok); err != nil {
		t.Errorf("Refresh() = %v", err)
	}
}

// deviceServer answers as RFC 8628 3.2 and 3.5 say: a device
// authorization, then the token answers of script in turn (an error code,
// a status, or "token"). It records every request's form.
type deviceServer struct {
	*tokenServer
	mu     sync.Mutex // guards script
	script []string
}

func newDeviceServer(t *testing.T, authorization string, script ...string) *deviceServer {
	t.Helper()
	d := &deviceServer{tokenServer: newTokenServer(t, 200, ""), script: script}
	d.setHandler(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		if r.URL.Path == "/device" {
			w.Write([]byte(strings.ReplaceAll(authorization, "{base}", d.URL)))
			return
		}
		d.mu.Lock()
		next := d.script[0]
		d.script = d.script[1:]
		d.mu.Unlock()
		switch next {
		case "token":
			w.Write([]byte(`{"access_token":"at","token_type":"Bearer","expires_in":3600,"refresh_token":"rt"}`))
		case "503":
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte(`{"error":"temporarily_unavailable"}`))
		default:
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"error":"` + next + `"}`))
		}
	})
	return d
}

// rfc8628Example is RFC 8628 3.2's example response.
const rfc8628Example = `{"device_code":"GmRhmhcxhwAzkoEqiMEg_DnyEysNkuNhszIySk9eS","user_code":"WDJB-MJHT",
"verification_uri":"{base}/verify","verification_uri_complete":"{base}/verify?user_code=WDJB-MJHT","expires_in":1800,"interval":5}`

func (d *deviceServer) flow(t *testing.T, clk *fakeclock.Clock, cfg oauth.DeviceConfig) *oauth.Device {
	t.Helper()
	cfg.DeviceAuthURL, cfg.TokenURL, cfg.Clock = d.URL+"/device", d.URL+"/token", clk
	if cfg.Client.Method == "" {
		cfg.Client = oauth.ClientAuth{Method: oauth.AuthNone, ID: "shore-station"}
	}
	if cfg.Output == nil {
		cfg.Output = &strings.Builder{}
	}
	dv, err := oauth.NewDevice(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return dv
}

func TestDevicePollingFollowsRFC8628(t *testing.T) {
	tests := []struct {
		name   string
		script []string
		check  func(t *testing.T, waits []time.Duration)
		err    func(error) bool
	}{
		{"slow_down adds 5 s for good", []string{"authorization_pending", "slow_down", "authorization_pending", "slow_down", "token"},
			func(t *testing.T, waits []time.Duration) {
				want := []time.Duration{5 * time.Second, 5 * time.Second, 10 * time.Second, 10 * time.Second, 15 * time.Second}
				if len(waits) != len(want) || waits[0] != want[0] || waits[1] != want[1] || waits[2] != want[2] || waits[3] != want[3] || waits[4] != want[4] {
					t.Errorf("waits = %v; want %v", waits, want)
				}
			}, func(err error) bool { return err == nil }},
		{"no answer: back off, never faster than the interval", []string{"503", "503", "token"},
			func(t *testing.T, waits []time.Duration) {
				if len(waits) != 3 || waits[1] < 5*time.Second+5*time.Second/2 || waits[2] < waits[1]-5*time.Second/2 {
					t.Errorf("waits = %v; want the interval, then the interval plus a growing backoff", waits)
				}
			}, func(err error) bool { return err == nil }},
		{"access_denied", []string{"authorization_pending", "access_denied"}, nil,
			func(err error) bool { return errors.Is(err, oauth.ErrAccessDenied) }},
		{"expired_token", []string{"expired_token"}, nil, func(err error) bool { return errors.Is(err, oauth.ErrDeviceCodeExpired) }},
		{"invalid_client stops at once", []string{"invalid_client"}, nil, func(err error) bool { return errors.Is(err, oauth.ErrInvalidClient) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := fakeclock.New(epoch)
			ds := newDeviceServer(t, rfc8628Example, tt.script...)
			_, waits, err := loginResult(t, clk, ds.flow(t, clk, oauth.DeviceConfig{}).Login)
			if !tt.err(err) {
				t.Fatalf("Login() = %v", err)
			}
			if tt.check != nil {
				tt.check(t, waits)
			}
			for i, r := range ds.requests()[1:] {
				if r.form.Get("grant_type") != oauth.DeviceCodeGrantType || r.form.Get("device_code") != "GmRhmhcxhwAzkoEqiMEg_DnyEysNkuNhszIySk9eS" ||
					r.form.Get("client_id") != "shore-station" {
					t.Errorf("poll %d = %v; want RFC 8628 3.4's request", i+1, r.form)
				}
			}
		})
	}
}

func TestDeviceStopsWhenTheCodeExpiresOrCtxEnds(t *testing.T) {
	clk := fakeclock.New(epoch)
	short := strings.Replace(rfc8628Example, `"expires_in":1800`, `"expires_in":12`, 1)
	ds := newDeviceServer(t, short, "authorization_pending", "authorization_pending", "authorization_pending")
	_, _, err := loginResult(t, clk, ds.flow(t, clk, oauth.DeviceConfig{}).Login)
	if !errors.Is(err, oauth.ErrDeviceCodeExpired) || len(ds.requests()) != 3 {
		t.Errorf("Login() = %v after %d requests; want ErrDeviceCodeExpired after the authorization and 2 polls", err, len(ds.requests()))
	}
	ds = newDeviceServer(t, rfc8628Example)
	ctx, cancel := context.WithCancel(context.Background())
	d := ds.flow(t, clk, oauth.DeviceConfig{Prompt: func(context.Context, *oauth.DeviceAuthorization) error {
		cancel() // the user gave up
		return nil
	}})
	if _, err := d.Login(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Login() with a cancelled ctx = %v; want context.Canceled", err)
	}
}

func TestDevicePromptIsSafePlainText(t *testing.T) {
	clk := fakeclock.New(epoch)
	tests := []struct {
		name, body, want string
	}{
		{"RFC 8628 3.2's example", rfc8628Example, ""},
		{"Google's verification_url", `{"device_code":"dc-GmRhmhcxhwAzkoEqiMEg","user_code":"ABCD-EFGH","verification_url":"{base}/device","expires_in":1800}`, ""},
		{"escape sequence in the code", `{"device_code":"d","user_code":"AB\u001b[2JCD","verification_uri":"{base}/v","expires_in":60}`, "user_code"},
		{"a javascript: link", `{"device_code":"d","user_code":"ABCD","verification_uri":"javascript:alert(1)","expires_in":60}`, "verification_uri"},
		{"a plain http link elsewhere", `{"device_code":"d","user_code":"ABCD","verification_uri":"http://phish.example/v","expires_in":60}`, "verification_uri"},
		{"missing user_code", `{"device_code":"d","verification_uri":"{base}/v"}`, "user_code"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds := newDeviceServer(t, tt.body)
			a, err := ds.flow(t, clk, oauth.DeviceConfig{}).Start(bounded(t))
			if tt.want != "" {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("Start() = %+v, %v; want an error about %s", a, err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			p := a.Prompt()
			if !strings.Contains(p, a.UserCode) || !strings.Contains(p, a.VerificationURI) || strings.Contains(p, a.DeviceCode.Reveal()) {
				t.Errorf("Prompt() = %q; want the user code and the URI, never the device code", p)
			}
			if a.VerificationURIComplete != "" && !strings.Contains(p, a.VerificationURIComplete) {
				t.Errorf("Prompt() lacks verification_uri_complete:\n%s", p)
			}
		})
	}
}

func TestDeviceSendsParamsAndClientAuthentication(t *testing.T) {
	clk := fakeclock.New(epoch)
	ds := newDeviceServer(t, rfc8628Example, "token", "token")
	d := ds.flow(t, clk, oauth.DeviceConfig{Client: basicAuth(), Scopes: []string{"telemetry"}, Params: url.Values{"resource": {"https://c2.example"}}})
	tok, _, err := loginResult(t, clk, d.Login)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Refresh(bounded(t), tok); err != nil {
		t.Fatal(err)
	}
	for i, r := range ds.requests() {
		if r.form.Get("resource") != "https://c2.example" || !strings.HasPrefix(r.header.Get("Authorization"), "Basic ") || r.form.Has("client_secret") {
			t.Errorf("request %d = %v %v; want resource and Basic authentication", i, r.form, r.header)
		}
	}
	if r := ds.requests()[0]; r.form.Get("scope") != "telemetry" {
		t.Errorf("device authorization = %v; want the scope", r.form)
	}
	if _, err := d.Refresh(bounded(t), &oauth2.Token{AccessToken: "a"}); !errors.Is(err, oauth.ErrNoRefreshToken) || !tokenrefresh.IsPermanent(err) {
		t.Errorf("Refresh() without a refresh token = %v", err)
	}
}

func TestNewRefresherRunsTheDeviceLogin(t *testing.T) {
	clk := fakeclock.New(epoch)
	f := setupFake(t, clk.Now)
	f.srv.ApproveDevicesAfter(1)
	d, err := oauth.NewDevice(oauth.DeviceConfig{DeviceAuthURL: f.auth.URL + oauthtest.DeviceAuthorizationPath, TokenURL: f.tokenURL(),
		Client: oauth.ClientAuth{Method: oauth.ClientSecretPost, ID: f.client.ClientID, Secret: f.client.ClientSecret},
		Output: &strings.Builder{}, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	store := &tokenrefresh.MemoryStore{}
	var r *tokenrefresh.Refresher
	_, _, err = loginResult(t, clk, func(ctx context.Context) (*oauth2.Token, error) {
		var err error
		r, err = oauth.NewRefresher(ctx, d, tokenrefresh.Config{Store: store, Clock: clk, Jitter: -1})
		return nil, err
	})
	if err != nil {
		t.Fatalf("NewRefresher() = %v", err)
	}
	defer r.Close()
	tok, err := r.Token(bounded(t))
	if err != nil || f.me(t, tok.AccessToken) != http.StatusOK {
		t.Fatalf("Token() = %v, %v", tok, err)
	}
	if e, err := store.Load(bounded(t)); err != nil || e.Token.Reveal().AccessToken != tok.AccessToken {
		t.Errorf("store = %v, %v; want the device's token saved", e, err)
	}
}

func TestDeviceConfigValidation(t *testing.T) {
	md := &oauth.Metadata{Issuer: "https://as", TokenEndpoint: "https://as/t", GrantTypesSupported: []string{"authorization_code"}}
	for _, tt := range []struct {
		cfg  oauth.DeviceConfig
		want string
	}{
		{oauth.DeviceConfig{TokenURL: "https://as/t", Client: basicAuth()}, "DeviceAuthURL is required"},
		{oauth.DeviceConfig{Metadata: md, Client: basicAuth()}, "no device_authorization_endpoint"},
		{oauth.DeviceConfig{Metadata: md, DeviceAuthURL: "https://as/d", Client: basicAuth()}, "does not offer the " + oauth.DeviceCodeGrantType},
		{oauth.DeviceConfig{DeviceAuthURL: "https://as/d", TokenURL: "https://as/t"}, "Client is required"},
	} {
		if _, err := oauth.NewDevice(tt.cfg); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("NewDevice = %v; want %q", err, tt.want)
		}
	}
}
