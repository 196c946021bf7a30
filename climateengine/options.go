package climateengine

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/bearer-go/bearer"
	"github.com/bearer-go/bearer/internal/redact"
	"github.com/bearer-go/bearer/tokenrefresh"
)

// An Option configures a [Client] in [NewClient].
type Option func(*options) error

type options struct {
	authURL, apiURL string
	hc              *http.Client
	loginHC         *http.Client // for token requests, on hc's transport; nil: hc
	logger          *slog.Logger
	store           tokenrefresh.Store
	clock           tokenrefresh.Clock
	bearerOpts      []bearer.Option
}

func newOptions(opts []Option) (*options, error) {
	o := &options{authURL: DefaultAuthURL, apiURL: DefaultAPIURL}
	for _, opt := range opts {
		if err := opt(o); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// WithAuthURL sets the auth server's base URL, for a test or staging
// server. Default: DefaultAuthURL.
func WithAuthURL(u string) Option {
	return func(o *options) error {
		base, err := baseURL("WithAuthURL", u)
		o.authURL = base
		return err
	}
}

// WithAPIURL sets the data API's base URL. Default: DefaultAPIURL.
func WithAPIURL(u string) Option {
	return func(o *options) error {
		base, err := baseURL("WithAPIURL", u)
		o.apiURL = base
		return err
	}
}

func baseURL(opt, raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" || u.RawQuery != "" {
		return "", fmt.Errorf("climateengine: %s(%q): want an absolute URL without a query, such as https://auth.climateengine.com", opt, redact.RawURL(raw))
	}
	return strings.TrimSuffix(u.String(), "/"), nil
}

// WithHTTPClient sends every request, logins included, through hc. A
// transport of your own is not checked when it connects, so plain http
// then goes only to loopback IP literals such as 127.0.0.1; the default
// transport checks where each plain-http connection goes.
func WithHTTPClient(hc *http.Client) Option {
	return func(o *options) error {
		if hc == nil {
			return errors.New("climateengine: WithHTTPClient(nil): omit the option for the default")
		}
		o.hc = hc
		return nil
	}
}

// WithLogger logs logins, refreshes and failed requests, never a secret.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		if l == nil {
			return errors.New("climateengine: WithLogger(nil): omit the option to log nothing")
		}
		o.logger = l
		return nil
	}
}

// WithStore keeps the token in s, so a restarted program reuses a token
// that is still valid instead of logging in again.
func WithStore(s tokenrefresh.Store) Option {
	return func(o *options) error {
		if s == nil {
			return errors.New("climateengine: WithStore(nil): omit the option to keep the token in memory")
		}
		o.store = s
		return nil
	}
}

// WithClock sets the clock that schedules refreshes and computes expiries:
// for tests. Default: the system clock.
func WithClock(c tokenrefresh.Clock) Option {
	return func(o *options) error {
		if c == nil {
			return errors.New("climateengine: WithClock(nil): omit the option for the system clock")
		}
		o.clock = c
		return nil
	}
}

// WithBearerOptions passes options to the underlying bearer.Clients, such
// as bearer.WithRetryMax. Options about the transport
// (bearer.WithHTTPClient, WithTrustedPEM, WithInsecureHTTP) would not
// reach the logins: give a client of your own with [WithHTTPClient].
func WithBearerOptions(opts ...bearer.Option) Option {
	return func(o *options) error {
		o.bearerOpts = append(o.bearerOpts, opts...)
		return nil
	}
}
