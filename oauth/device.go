package oauth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"time"

	"github.com/bearer-go/bearer/internal/expiry"
	"github.com/bearer-go/bearer/secret"
	"github.com/bearer-go/bearer/tokenrefresh"
	"golang.org/x/oauth2"
)

// DeviceCodeGrantType is the grant_type of the device authorization grant
// (RFC 8628 3.4).
const DeviceCodeGrantType = "urn:ietf:params:oauth:grant-type:device_code"

const (
	// DefaultPollInterval is how long the device flow waits between token
	// requests when the server names no interval: RFC 8628 3.2's default.
	DefaultPollInterval = 5 * time.Second

	// slowDownStep is what each slow_down answer adds to the interval, for
	// that request and every later one (RFC 8628 3.5).
	slowDownStep = 5 * time.Second

	// maxPollBackoff caps the extra wait after polls that got no answer
	// (RFC 8628 3.5 asks for exponential backoff there): a minute keeps
	// polling within a device code's usual ten to thirty minutes.
	maxPollBackoff = time.Minute
)

// ErrDeviceCodeExpired: the user did not approve the device in time; the
// device code expired (RFC 8628 3.5 expired_token). Start again.
var ErrDeviceCodeExpired = errors.New("oauth: the device code expired before the user approved it: start the login again")

// DeviceConfig configures the device authorization grant (RFC 8628): a
// machine without a browser, such as a robot's shore station, shows a
// short code; the user enters it on a phone or laptop and approves; the
// machine polls the token endpoint until the approval arrives.
type DeviceConfig struct {
	// DeviceAuthURL is the device authorization endpoint. Required unless
	// Metadata gives it.
	DeviceAuthURL string

	// TokenURL is the token endpoint. Required unless Metadata gives it.
	TokenURL string

	// Metadata is the server's discovered metadata ([Discover]).
	// Optional: it fills DeviceAuthURL and TokenURL when empty, and the
	// configuration is checked against what the server supports.
	Metadata *Metadata

	// Client identifies the client. Required: AuthNone with the client id
	// for a public client, or a confidential client's method.
	Client ClientAuth

	// Scopes are the scopes requested. Optional.
	Scopes []string

	// Params are extra form parameters of the device authorization
	// request, of the token requests and of the refresh requests, such as
	// resource (RFC 8707). Optional.
	Params url.Values

	// Prompt shows the user what to do. Optional: nil writes
	// [DeviceAuthorization.Prompt], plain text, to Output. An error ends
	// the login.
	Prompt func(ctx context.Context, a *DeviceAuthorization) error

	// Output receives the default prompt. Optional: nil means os.Stderr.
	Output io.Writer

	// Clock times the waits between polls. Optional: nil means the system
	// clock. Settings.Now, when nil, follows it.
	Clock tokenrefresh.Clock

	Settings
}

func (c *DeviceConfig) validate() (dev, token *url.URL, err error) {
	if dev, err = c.Metadata.url("DeviceAuthURL", c.DeviceAuthURL, "device_authorization_endpoint", c.AllowInsecureHTTP, c.Client); err != nil {
		return nil, nil, err
	}
	if token, err = c.Metadata.url("TokenURL", c.TokenURL, "token_endpoint", c.AllowInsecureHTTP, c.Client); err != nil {
		return nil, nil, err
	}
	if err := c.Client.validate(false); err != nil {
		return nil, nil, err
	}
	if err := checkParams(c.Params); err != nil {
		return nil, nil, err
	}
	if err := c.Metadata.supports(DeviceCodeGrantType, c.Client, c.DPoP); err != nil {
		return nil, nil, err
	}
	return dev, token, c.Settings.validateFor(token)
}

// Device runs the device authorization grant and refreshes the tokens it
// gets. Create it with [NewDevice]; it is safe for concurrent use. It is a
// [Loginer]: [NewRefresher] runs its Login when there is no token yet.
type Device struct {
	dev   *endpoint // the device authorization endpoint
	ep    *endpoint // the token endpoint
	cfg   DeviceConfig
	clock tokenrefresh.Clock
}

// NewDevice checks cfg and returns the flow. It does no I/O.
func NewDevice(cfg DeviceConfig) (*Device, error) {
	dev, token, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	clock := cfg.Clock
	if clock == nil {
		clock = systemClock{}
	}
	if cfg.Now == nil {
		cfg.Now = clock.Now
	}
	if cfg.Output == nil {
		cfg.Output = os.Stderr
	}
	d := &Device{dev: newEndpoint(dev, cfg.Client, cfg.Settings), ep: newEndpoint(token, cfg.Client, cfg.Settings), cfg: cfg, clock: clock}
	d.dev.aud = d.ep.aud // client assertions name the token endpoint
	return d, nil
}

// DeviceAuthorization is the server's answer to a device authorization
// request (RFC 8628 3.2): what to show the user, and what to poll with.
type DeviceAuthorization struct {
	// UserCode is the code the user enters, such as WDJB-MJHT.
	UserCode string
	// VerificationURI is where the user enters it.
	VerificationURI string
	// VerificationURIComplete, when the server gives one, also carries
	// the code, so the user need not type it.
	VerificationURIComplete string
	// Expires is when the codes expire, and ExpiresIn how long they last;
	// both zero if the server did not say.
	Expires   time.Time
	ExpiresIn time.Duration
	// Interval is the wait between token requests.
	Interval time.Duration
	// DeviceCode is what the device polls with; it never reaches the user.
	DeviceCode secret.String
}

// Prompt returns what to show the user, in plain text for a terminal (no
// QR code, no escape sequences): where to go, the code to enter, the
// address that carries the code when the server gave one, and how long
// the code lasts.
func (a *DeviceAuthorization) Prompt() string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "To sign in, open this address in a browser on any device:\n\n    %s\n\nand enter the code:\n\n    %s\n\n", a.VerificationURI, a.UserCode)
	if a.VerificationURIComplete != "" {
		fmt.Fprintf(&b, "Or open this address, which carries the code:\n\n    %s\n\n", a.VerificationURIComplete)
	}
	if a.ExpiresIn > 0 {
		fmt.Fprintf(&b, "The code is valid for %s.\n", humanDuration(a.ExpiresIn))
	}
	return b.String()
}

// humanDuration says d in words for a prompt: "30 minutes", "90 seconds".
func humanDuration(d time.Duration) string {
	switch {
	case d%time.Hour == 0 && d >= 2*time.Hour:
		return fmt.Sprintf("%d hours", d/time.Hour)
	case d%time.Minute == 0 && d >= 2*time.Minute:
		return fmt.Sprintf("%d minutes", d/time.Minute)
	}
	return fmt.Sprintf("%d seconds", d/time.Second)
}

// Login signs the user in: it asks for a device code ([Device.Start]),
// shows the prompt, and polls until the user approves ([Device.Poll]).
// ctx bounds the whole wait, which lasts as long as the user takes, at
// most until the code expires.
func (d *Device) Login(ctx context.Context) (*oauth2.Token, error) {
	a, err := d.Start(ctx)
	if err != nil {
		return nil, err
	}
	if d.cfg.Prompt != nil {
		err = d.cfg.Prompt(ctx, a)
	} else {
		_, err = io.WriteString(d.cfg.Output, a.Prompt())
	}
	if err != nil {
		return nil, fmt.Errorf("oauth: show the device prompt: %w", err)
	}
	return d.Poll(ctx, a)
}

// Refresh trades current's refresh token for a new token, keeping it when
// the server sends no new one. Without a refresh token it fails with
// [ErrNoRefreshToken], permanently: only the user can approve a new
// device code. [NewRefresher] runs Login instead when there is no token.
func (d *Device) Refresh(ctx context.Context, current *oauth2.Token) (*oauth2.Token, error) {
	if current == nil || current.RefreshToken == "" {
		return nil, permanentError{ErrNoRefreshToken}
	}
	return refreshGrant(ctx, d.ep, current.RefreshToken, nil, d.cfg.Params)
}

// systemClock is the wall clock, for a Device without Config.Clock.
type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

func (systemClock) NewTimer(d time.Duration) (<-chan time.Time, func() bool) {
	t := time.NewTimer(d)
	return t.C, t.Stop
}

// sleep waits d on the clock, or until ctx ends.
func (d *Device) sleep(ctx context.Context, wait time.Duration) error {
	c, stop := d.clock.NewTimer(wait)
	defer stop()
	select {
	case <-c:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// deviceJSON is the device authorization response of RFC 8628 3.2;
// verification_url is Google's name for verification_uri.
type deviceJSON struct {
	DeviceCode              string          `json:"device_code"`
	UserCode                string          `json:"user_code"`
	VerificationURI         string          `json:"verification_uri"`
	VerificationURL         string          `json:"verification_url"`
	VerificationURIComplete string          `json:"verification_uri_complete"`
	ExpiresIn               json.RawMessage `json:"expires_in"`
	Interval                json.RawMessage `json:"interval"`
}

// parseDevice reads the device authorization response.
func (d *Device) parseDevice(a *answer, issued time.Time) (*DeviceAuthorization, error) {
	body := bytes.TrimSpace(a.body)
	var j deviceJSON
	if a.oversize || len(body) == 0 || body[0] != '{' || json.Unmarshal(body, &j) != nil {
		return nil, fmt.Errorf("oauth: %s answered %d with %s instead of a device authorization response (RFC 8628 3.2): check DeviceAuthURL",
			a.endpoint, a.status, a.describe())
	}
	if j.VerificationURI == "" {
		j.VerificationURI = j.VerificationURL
	}
	if j.DeviceCode == "" || j.UserCode == "" || j.VerificationURI == "" {
		return nil, fmt.Errorf("oauth: %s answered without device_code, user_code or verification_uri (RFC 8628 3.2)", a.endpoint)
	}
	out := &DeviceAuthorization{UserCode: j.UserCode, DeviceCode: secret.New(j.DeviceCode), Interval: DefaultPollInterval}
	if err := d.checkShown(out, j); err != nil {
		return nil, err
	}
	if life, ok := expiry.ParseExpiresIn(j.ExpiresIn); ok {
		out.Expires, out.ExpiresIn = issued.Add(life), life
	}
	if n, ok := expiry.ParseExpiresIn(j.Interval); ok {
		out.Interval = n
	}
	return out, nil
}

// maxUserCode bounds the user code: RFC 8628 6.1 asks for short codes,
// and one longer than this is no code a person types.
const maxUserCode = 64

// checkShown checks what will be shown to the user, so that a server
// cannot send a terminal escape sequences or a link to anywhere but an
// https page, and sets it on out.
func (d *Device) checkShown(out *DeviceAuthorization, j deviceJSON) error {
	if len(j.UserCode) > maxUserCode || clean(j.UserCode) != j.UserCode {
		return errors.New("oauth: the server's user_code is not a short line of printable text: it is not shown")
	}
	for _, u := range []struct{ name, raw string }{{"verification_uri", j.VerificationURI}, {"verification_uri_complete", j.VerificationURIComplete}} {
		if u.raw == "" {
			continue
		}
		if _, err := checkURL("the server's "+u.name, u.raw, d.cfg.AllowInsecureHTTP); err != nil || clean(u.raw) != u.raw {
			return fmt.Errorf("oauth: the server's %s is not an https URL that can be shown: it is not shown", u.name)
		}
	}
	out.VerificationURI, out.VerificationURIComplete = j.VerificationURI, j.VerificationURIComplete
	return nil
}
