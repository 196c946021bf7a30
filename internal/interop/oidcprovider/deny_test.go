package oidcprovider_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/bearer-go/bearer/internal/fakeclock"
	"github.com/bearer-go/bearer/oauth"
	"github.com/bearer-go/bearer/tokenrefresh"
)

// TestUserDeniesLogin: the user aborts at the login page; oidc-provider
// redirects with error=access_denied (and iss), which Login returns.
func TestUserDeniesLogin(t *testing.T) {
	s := startServer(t, serverConfig{})
	var log logs
	_, err := nativeApp(t, s, &log, (&browser{deny: true}).withJar().open).Login(bounded(t))
	var oe *oauth.Error
	if !errors.As(err, &oe) || !errors.Is(err, oauth.ErrAccessDenied) || !tokenrefresh.IsPermanent(err) {
		t.Errorf("Login() refused by the user = %v; want a permanent access_denied", err)
	}
}

// TestUserDeniesDevice: the user aborts at the device code's confirmation;
// the poll that follows gets access_denied.
func TestUserDeniesDevice(t *testing.T) {
	s := startServer(t, serverConfig{})
	var log logs
	clk := fakeclock.New(clockStart())
	dev := deviceApp(t, s, clk, nil, &log)
	a, err := dev.Start(bounded(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := (&browser{deny: true}).withJar().open(bounded(t), a.VerificationURIComplete); err != nil {
		t.Fatalf("refusing: %v", err)
	}
	polled := make(chan error, 1)
	go func() { _, err := dev.Poll(context.Background(), a); polled <- err }()
	advanceToRefresh(t, clk)
	if err := <-polled; !errors.Is(err, oauth.ErrAccessDenied) {
		t.Errorf("Poll() after the user refused = %v; want access_denied", err)
	}
}

// TestDevicePollsUntilApproved polls before the user approves: the server
// answers authorization_pending (oidc-provider 9 never says slow_down),
// and the login ends at the first poll after the user approved.
func TestDevicePollsUntilApproved(t *testing.T) {
	s := startServer(t, serverConfig{})
	var log logs
	clk := fakeclock.New(clockStart())
	dev := deviceApp(t, s, clk, nil, &log)
	a, err := dev.Start(bounded(t))
	if err != nil {
		t.Fatal(err)
	}
	polled := make(chan error, 1)
	go func() { _, err := dev.Poll(bounded(t), a); polled <- err }()
	const polls = 3 // pending twice, then the approved one
	for i := range polls {
		if i == polls-1 {
			if err := newBrowser("").open(bounded(t), a.VerificationURIComplete); err != nil {
				t.Fatalf("approving: %v", err)
			}
		}
		advanceToRefresh(t, clk)
	}
	if err := <-polled; err != nil {
		t.Errorf("Poll() = %v; want the token once the user approved", err)
	}
	if n := strings.Count(log.String(), "error=authorization_pending"); n != polls-1 {
		t.Errorf("%d polls were answered authorization_pending; want %d. The log:\n%s", n, polls-1, log.String())
	}
	noSecret(t, "the log", log.String(), a.DeviceCode.Reveal())
}
