package oauth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/bearer-go/bearer/internal/backoff"
	"golang.org/x/oauth2"
)

// Start asks the server for a device code and a user code (RFC 8628 3.1,
// 3.2). Show the answer to the user, then call [Device.Poll]. A refusal
// is an [*Error], such as invalid_client or invalid_scope.
func (d *Device) Start(ctx context.Context) (*DeviceAuthorization, error) {
	form := withParams(d.cfg.Params)
	setScopes(form, d.cfg.Scopes)
	issued := d.clock.Now()
	ans, _, err := d.dev.call(ctx, "device_authorization", form)
	if err != nil {
		return nil, err
	}
	return d.parseDevice(ans, issued)
}

// Poll waits for the user's approval of a: it asks the token endpoint
// every a.Interval (RFC 8628 3.4), waits 5 s longer after each slow_down,
// keeps waiting on authorization_pending, and after a request that got no
// answer or a 5xx waits longer still, with exponential backoff (RFC 8628
// 3.5). It returns the token, or: an [*Error] matching [ErrAccessDenied]
// when the user refused; [ErrDeviceCodeExpired] when the code expired;
// another [*Error] (invalid_client, invalid_grant) at once; ctx's error
// when ctx ends first.
func (d *Device) Poll(ctx context.Context, a *DeviceAuthorization) (*oauth2.Token, error) {
	if a == nil || a.DeviceCode.IsZero() {
		return nil, errors.New("oauth: Poll needs the DeviceAuthorization that Start returned")
	}
	interval := max(a.Interval, time.Second)
	wait, failures := interval, 0
	for {
		if err := d.sleep(ctx, wait); err != nil {
			return nil, fmt.Errorf("oauth: waiting for the device's approval: %w", err)
		}
		if !a.Expires.IsZero() && !d.clock.Now().Before(a.Expires) {
			return nil, ErrDeviceCodeExpired
		}
		tok, err := d.poll(ctx, a)
		var oe *Error
		switch {
		case err == nil:
			return tok, nil
		case errors.As(err, &oe) && oe.Code == "authorization_pending":
			failures = 0
		case errors.As(err, &oe) && oe.Code == "slow_down":
			interval += slowDownStep
			failures = 0
		case errors.As(err, &oe) && oe.Code == "expired_token":
			return nil, fmt.Errorf("%w (%w)", ErrDeviceCodeExpired, err)
		case transient(err):
			failures++
		default:
			return nil, err
		}
		wait = interval
		if failures > 0 {
			wait += backoff.Exponential(interval, maxPollBackoff, failures, nil)
		}
	}
}

// poll sends one token request of the device flow.
func (d *Device) poll(ctx context.Context, a *DeviceAuthorization) (*oauth2.Token, error) {
	code := a.DeviceCode.Reveal()
	form := withParams(d.cfg.Params)
	form.Set("device_code", code)
	return d.ep.token(ctx, DeviceCodeGrantType, form, code)
}

// transient reports whether a poll failed in a way that waiting can fix:
// no answer, or an answer tokenrefresh would retry (5xx, 408, 429).
func transient(err error) bool {
	var re *RequestError
	var oe *Error
	return errors.As(err, &re) || errors.As(err, &oe) && oe.StatusCode != 0 && !oe.Permanent()
}
