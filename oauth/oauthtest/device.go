package oauthtest

import (
	"crypto/rand"
	"fmt"
	"log/slog"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DeviceCodeGrantType is the grant_type of the device flow (RFC 8628
// 3.4).
const DeviceCodeGrantType = "urn:ietf:params:oauth:grant-type:device_code"

const (
	// DeviceCodeLifetime is the expires_in of device codes: RFC 8628
	// 3.2's example, half an hour to find a browser and sign in.
	DeviceCodeLifetime = 30 * time.Minute

	// DevicePollInterval is the interval of device authorization
	// responses: RFC 8628 3.2's default of five seconds.
	DevicePollInterval = 5 * time.Second

	// slowDownStep is what each slow_down adds to a device code's
	// interval (RFC 8628 3.5).
	slowDownStep = 5 * time.Second
)

// userCodeAlphabet is RFC 8628 6.1's base-20 alphabet: no vowels, so a
// code spells no word, and no letters that look alike.
const userCodeAlphabet = "BCDFGHJKLMNPQRSTVWXZ"

// deviceGrant is a pending device authorization and its polling state.
type deviceGrant struct {
	clientID string
	scope    string
	userCode string
	exp      time.Time
	interval time.Duration // grows with each slow_down
	lastPoll time.Time     // the authorization at first, then the last token request
	polls    int           // token requests answered authorization_pending
	denied   bool
	approved bool
}

// deviceAnswer is the device authorization response (RFC 8628 3.2).
type deviceAnswer struct {
	DeviceCode              string `json:"device_code"`
	UserCode                string `json:"user_code"`
	VerificationURI         string `json:"verification_uri"`
	VerificationURIComplete string `json:"verification_uri_complete"`
	ExpiresIn               int64  `json:"expires_in"`
	Interval                int64  `json:"interval"`
}

// ApproveDevicesAfter makes the user approve every device authorization
// once it has been polled polls times: the token request after that gets
// the token, as when the user signs in while the device waits. Zero or
// less approves none (the default); [Server.ApproveDevice] approves one.
func (s *Server) ApproveDevicesAfter(polls int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deviceApproval = polls
}

// ApproveDevice approves the device authorization of userCode, as the
// user who enters it at the verification URI; DenyDevice refuses it.
func (s *Server) ApproveDevice(userCode string) error { return s.decideDevice(userCode, true) }

// DenyDevice refuses the device authorization of userCode: its next token
// request gets access_denied (RFC 8628 3.5).
func (s *Server) DenyDevice(userCode string) error { return s.decideDevice(userCode, false) }

func (s *Server) decideDevice(userCode string, approve bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range s.devices {
		if d.userCode == userCode {
			d.approved, d.denied = approve, !approve
			return nil
		}
	}
	return fmt.Errorf("oauthtest: no device authorization with user code %q", userCode)
}

// handleDeviceAuthorization serves POST [DeviceAuthorizationPath] (RFC
// 8628 3.1): a public client names itself with client_id, a confidential
// one authenticates as at the token endpoint.
func (s *Server) handleDeviceAuthorization(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	form, err := readForm(w, r)
	if err != nil {
		s.writeOAuthError(w, invalidRequest("the body must be a form (RFC 8628 3.1)"))
		return
	}
	c, _, oerr := s.tokenClient(r, form)
	if oerr != nil {
		s.writeOAuthError(w, oerr)
		return
	}
	now := s.now()
	d := &deviceGrant{clientID: c.ClientID, scope: form.Get("scope"), userCode: newUserCode(),
		exp: now.Add(DeviceCodeLifetime), interval: DevicePollInterval, lastPoll: now}
	code := newSecret()
	s.mu.Lock()
	s.pruneDevicesLocked(now)
	s.devices[code] = d
	s.mu.Unlock()
	verify := s.issuer + s.paths.VerificationURI
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "oauthtest: device authorization", slog.String("client_id", c.ClientID))
	s.writeJSON(w, http.StatusOK, deviceAnswer{DeviceCode: code, UserCode: d.userCode, VerificationURI: verify,
		VerificationURIComplete: verify + "?" + url.Values{"user_code": {d.userCode}}.Encode(),
		ExpiresIn:               int64(DeviceCodeLifetime / time.Second), Interval: int64(DevicePollInterval / time.Second)})
}

// deviceCodeGrant serves grant_type=urn:ietf:params:oauth:grant-type:device_code
// (RFC 8628 3.4, 3.5).
func (s *Server) deviceCodeGrant(w http.ResponseWriter, r *http.Request, form url.Values) {
	c, method, oerr := s.tokenClient(r, form)
	s.countTokenCall("device_code", method)
	if oerr != nil {
		s.refuse(w, r, oerr, method)
		return
	}
	d, oerr := s.pollDevice(form.Get("device_code"), c.ClientID)
	if oerr != nil {
		s.refuse(w, r, oerr, method)
		return
	}
	s.issueWithRefresh(w, r, grant{name: "device_code", method: method, clientID: c.ClientID, userID: c.UserID, family: newUUID(), scope: d.scope})
}

// pollDevice answers one token request of a device code: the code's
// grant once approved (then the code is spent), else the error RFC 8628
// 3.5 names.
func (s *Server) pollDevice(code, clientID string) (*deviceGrant, *oauthError) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.devices[code]
	switch {
	case !ok || d.clientID != clientID:
		return nil, invalidGrant("the device_code is unknown or was issued to another client")
	case !now.Before(d.exp):
		delete(s.devices, code)
		return nil, deviceError("expired_token", "the device_code expired: start again")
	case now.Sub(d.lastPoll) < d.interval:
		d.interval += slowDownStep
		d.lastPoll = now
		return nil, deviceError("slow_down", fmt.Sprintf("poll at most every %v", d.interval))
	case d.denied:
		delete(s.devices, code)
		return nil, deviceError("access_denied", "the user refused the authorization")
	}
	d.lastPoll = now
	if !d.approved && (s.deviceApproval <= 0 || d.polls < s.deviceApproval) {
		d.polls++
		return nil, deviceError("authorization_pending", "")
	}
	delete(s.devices, code)
	return d, nil
}

// deviceError is an error of RFC 8628 3.5: 400, as RFC 6749 5.2 answers.
func deviceError(code, desc string) *oauthError {
	return &oauthError{status: http.StatusBadRequest, Code: code, Description: desc}
}

// handleDeviceVerification serves GET [DeviceVerificationPath], the page
// where a user would enter the code: the fake only shows it.
func (s *Server) handleDeviceVerification(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprint(w, "<!DOCTYPE html>\n<html><head><title>Device sign-in</title></head><body><p>Enter the code shown on your device.</p></body></html>\n")
}

// pruneDevicesLocked forgets device codes a lifetime after they expired:
// until then a poll still gets expired_token.
func (s *Server) pruneDevicesLocked(now time.Time) {
	for k, d := range s.devices {
		if !now.Before(d.exp.Add(DeviceCodeLifetime)) {
			delete(s.devices, k)
		}
	}
}

// newUserCode returns a user code of RFC 8628 6.1's form, such as
// WDJB-MJHT: eight letters of the base-20 alphabet (34 bits).
func newUserCode() string {
	var b strings.Builder
	for i := range 8 {
		if i == 4 {
			b.WriteByte('-')
		}
		n, _ := rand.Int(rand.Reader, big.NewInt(int64(len(userCodeAlphabet)))) // crypto/rand never fails
		b.WriteByte(userCodeAlphabet[n.Int64()])
	}
	return b.String()
}
