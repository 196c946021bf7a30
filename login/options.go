package login

import (
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/bearer-go/bearer"
	"github.com/bearer-go/bearer/tokenrefresh"
)

// An Option configures a [Client] in [NewSessionClient] and
// [NewTokenClient]. The service packages share this style (c2,
// climateengine, login): the constructor takes what it cannot do without,
// and options for the rest, each checked as it is applied.
type Option func(*options) error

// options are what the options set.
type options struct {
	hc     *http.Client
	logger *slog.Logger
	clock  tokenrefresh.Clock
	bearer []bearer.Option
}

func newOptions(opts []Option) (*options, error) {
	o := &options{}
	for _, opt := range opts {
		if err := opt(o); err != nil {
			return nil, err
		}
	}
	if o.logger == nil {
		o.logger = slog.New(slog.DiscardHandler)
	}
	return o, nil
}

// now returns the options' clock's Now, or time.Now.
func (o *options) now() func() time.Time {
	if o.clock != nil {
		return o.clock.Now
	}
	return time.Now
}

// WithHTTPClient sends every request, logins included, through hc's
// Transport, keeping its Timeout and CheckRedirect. hc's Jar must be nil:
// a session keeps its own jar, scoped to the API's host. The client does
// not modify hc. A transport of your own is not checked when it connects,
// so plain http then goes only to loopback IP literals such as 127.0.0.1.
func WithHTTPClient(hc *http.Client) Option {
	return func(o *options) error {
		switch {
		case hc == nil:
			return errors.New("login: WithHTTPClient(nil): omit the option for the default")
		case hc.Jar != nil:
			return errors.New("login: WithHTTPClient: the client's Jar must be nil: the session keeps its own jar, scoped to the API's host")
		}
		o.hc = hc
		return nil
	}
}

// WithLogger logs logins, refreshes and rejections, never a secret; for
// token clients it is also the Refresher's logger unless
// TokenConfig.Refresher.Logger is set. Pass bearer.WithLogger through
// [WithBearerOptions] to log requests too. Without it the client is
// silent.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		if l == nil {
			return errors.New("login: WithLogger(nil): omit the option to log nothing")
		}
		o.logger = l
		return nil
	}
}

// WithClock sets the clock that spaces a session's login retries and, for
// token clients, the Refresher's clock unless TokenConfig.Refresher.Clock
// is set: tests pass a fake clock. Default: the system clock.
func WithClock(c tokenrefresh.Clock) Option {
	return func(o *options) error {
		if c == nil {
			return errors.New("login: WithClock(nil): omit the option for the system clock")
		}
		o.clock = c
		return nil
	}
}

// WithBearerOptions configures the underlying bearer.Client, which sends
// every request of the client, logins included: bearer.WithTrustedPEM to
// trust the server's own certificate, bearer.WithInsecureHTTP,
// bearer.WithLogger, retries, the user agent. They must not include
// bearer.WithTokenSource, and bearer.WithHTTPClient would drop the
// session's jar: use [WithHTTPClient].
func WithBearerOptions(opts ...bearer.Option) Option {
	return func(o *options) error {
		o.bearer = append(o.bearer, opts...)
		return nil
	}
}
