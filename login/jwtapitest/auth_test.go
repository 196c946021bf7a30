package jwtapitest_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/bearer-go/bearer/login/jwtapitest"
)

var uuid4Pattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// TestTokensCarrySeedClaims checks the tokens of a login against the
// seed's generate_jwt.
func TestTokensCarrySeedClaims(t *testing.T) {
	f := setup(t)
	got := f.signup(t, "Luke@Rebels.org")
	if got.UserID != 1 || got.Email != "luke@rebels.org" {
		t.Errorf("signup = user %d %q; want 1 luke@rebels.org", got.UserID, got.Email)
	}

	header, _, _ := strings.Cut(got.Token, ".")
	h, err := base64.RawURLEncoding.DecodeString(header)
	if err != nil || string(h) != `{"alg":"HS256","typ":"JWT"}` {
		t.Errorf("access token header = %s (%v); want HS256 JWT", h, err)
	}

	access := claimsOf(t, got.Token, accessSecret)
	if access.UserID != 1 || access.AccessRole != jwtapitest.RoleBasic || !access.StandardClaim || access.RefreshClaim {
		t.Errorf("access claims = %+v; want user 1, basic, standard_claim only", access)
	}
	if access.Issuer != "fathat.org" || !uuid4Pattern.MatchString(access.Subject) {
		t.Errorf("access iss, sub = %q, %q; want fathat.org and a UUID v4", access.Issuer, access.Subject)
	}
	if !access.IssuedAt.Equal(start) || !access.ExpiresAt.Equal(start.Add(accessTTL)) {
		t.Errorf("access iat, exp = %v, %v; want %v, %v", access.IssuedAt, access.ExpiresAt, start, start.Add(accessTTL))
	}

	refresh := claimsOf(t, got.RefreshToken, refreshSecret)
	if refresh.UserID != 1 || refresh.AccessRole != jwtapitest.RoleBasic || !refresh.RefreshClaim || refresh.StandardClaim {
		t.Errorf("refresh claims = %+v; want user 1, basic, refresh_claim only", refresh)
	}
	if !refresh.ExpiresAt.Equal(start.Add(refreshTTL)) || refresh.Subject == access.Subject {
		t.Errorf("refresh exp, sub = %v, %q; want %v and its own sub", refresh.ExpiresAt, refresh.Subject, start.Add(refreshTTL))
	}

	// The raw payload carries the seed's claim names.
	_, payload, _ := strings.Cut(got.Token, ".")
	payload, _, _ = strings.Cut(payload, ".")
	raw, _ := base64.RawURLEncoding.DecodeString(payload)
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"user_id", "access_role", "standard_claim", "exp", "iat", "iss", "sub"} {
		if _, ok := m[k]; !ok {
			t.Errorf("access payload %s lacks %q", raw, k)
		}
	}

	if second := f.signup(t, "leia@rebels.org"); second.UserID != 2 {
		t.Errorf("second signup user_id = %d; want 2", second.UserID)
	}
}

// TestSignupThenVerify: signup answers {} and makes an account whose
// logins are refused until its email is verified.
func TestSignupThenVerify(t *testing.T) {
	f := setup(t)
	r := f.call(t, http.MethodPost, jwtapitest.PathSignup, "", creds("han@falcon.org", password))
	if r.status != http.StatusOK || string(r.body) != "{}\n" || r.header.Get("Content-Type") != "application/json" {
		t.Errorf("signup = %d %q (%s); want 200 {} as application/json", r.status, r.body, r.header.Get("Content-Type"))
	}
	wantError(t, "login before the email is verified",
		f.call(t, http.MethodPost, jwtapitest.PathLogin, "", creds("han@falcon.org", password)),
		http.StatusBadRequest, jwtapitest.CodeEmailUnverified)
	if err := f.api.VerifyEmail("Han@Falcon.org"); err != nil {
		t.Fatal(err)
	}
	r = f.call(t, http.MethodPost, jwtapitest.PathLogin, "", creds("han@falcon.org", password))
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatal(err)
	}
	if len(m) != 4 || m["token"] == nil || m["refresh_token"] == nil || m["user_id"] != 1.0 || m["email"] != "han@falcon.org" {
		t.Errorf("login body = %s; want token, refresh_token, user_id and email", r.body)
	}
	if err := f.api.VerifyEmail("nobody@falcon.org"); err == nil {
		t.Error("VerifyEmail of an unknown user = nil; want an error")
	}
}

func TestSignupAsAdmin(t *testing.T) {
	f := setup(t)
	r := f.call(t, http.MethodPost, jwtapitest.PathSignup, "",
		map[string]string{"email": "vader@empire.gov", "password": password, "access_role": "admin"})
	if r.status != http.StatusOK {
		t.Fatalf("signup as admin = %d %s", r.status, r.body)
	}
	if err := f.api.VerifyEmail("vader@empire.gov"); err != nil {
		t.Fatal(err)
	}
	got := f.login(t, "vader@empire.gov")
	if c := claimsOf(t, got.Token, accessSecret); c.AccessRole != jwtapitest.RoleAdmin {
		t.Errorf("access_role = %q; want admin, as the seed's schema allows", c.AccessRole)
	}
}

func TestSignupRejections(t *testing.T) {
	f := setup(t)
	f.signup(t, "luke@rebels.org")
	wantError(t, "duplicate signup", f.call(t, http.MethodPost, jwtapitest.PathSignup, "", creds("LUKE@rebels.org", password)),
		http.StatusBadRequest, jwtapitest.CodeUserAlreadyExists)

	tests := []struct {
		name, contentType, body string
		wantStatus              int
		wantDetail              string
	}{
		{"plain text", "text/plain", `{"email":"a@b.org","password":"Passw0rdX"}`, http.StatusUnsupportedMediaType,
			"Invalid Content-type (text/plain), expected JSON data"},
		{"no content type", "", `{}`, http.StatusUnsupportedMediaType, "Invalid Content-type (), expected JSON data"},
		{"not JSON", "application/json", `{"email":`, http.StatusBadRequest, "Request body is not valid JSON"},
		{"wrong types", "application/json", `{"email":1,"password":2}`, http.StatusBadRequest, "Request body is not valid JSON"},
		{"no email", "application/json", `{"password":"Passw0rdX"}`, http.StatusBadRequest, "'email' is a required property"},
		{"no password", "application/json", `{"email":"a@b.org"}`, http.StatusBadRequest, "'password' is a required property"},
		{"bad email", "application/json", `{"email":"a.b.org","password":"Passw0rdX"}`, http.StatusBadRequest,
			`"a.b.org" is not a valid email address`},
		{"bad role", "application/json", `{"email":"a@b.org","password":"Passw0rdX","access_role":"root"}`, http.StatusBadRequest,
			`"root" is not one of ['admin', 'basic']`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, f.ts.URL+jwtapitest.PathSignup, strings.NewReader(tt.body))
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			wantProblem(t, "POST signup", send(t, f.ts.Client(), req), tt.wantStatus, tt.wantDetail)
		})
	}
	if got := f.api.Stats().Signups; got != 1 {
		t.Errorf("Stats().Signups = %d; want 1", got)
	}
}

func TestPasswordPattern(t *testing.T) {
	tests := []struct {
		password string
		ok       bool
	}{
		{"Passw0rd", true},
		{"Pa55" + strings.Repeat("w", 28), true},  // 32 characters
		{"Pa55" + strings.Repeat("w", 29), false}, // 33
		{"Pw0rd", false},
		{"password1", false},
		{"PASSWORD1", false},
		{"Password", false},
		{"Pässw0rd", true},      // ä counts as one character, like Python's
		{"weak Passw0rd", true}, // re.search finds one good word
		{"Pass w0rdX", false},
	}
	f := setup(t)
	for i, tt := range tests {
		email := "user" + string(rune('a'+i)) + "@x.org"
		r := f.call(t, http.MethodPost, jwtapitest.PathSignup, "", creds(email, tt.password))
		if ok := r.status == http.StatusOK; ok != tt.ok {
			t.Errorf("signup with password %q = %d %s; want accepted %v", tt.password, r.status, r.body, tt.ok)
		}
		if !tt.ok && strings.Contains(string(r.body), tt.password) {
			t.Errorf("signup with password %q: the problem quotes it: %s", tt.password, r.body)
		}
	}
}

func TestLogin(t *testing.T) {
	f := setup(t)
	if _, err := f.api.AddUser("luke@rebels.org", password, jwtapitest.RoleBasic); err != nil {
		t.Fatal(err)
	}
	got := f.login(t, "Luke@Rebels.org")
	if got.UserID != 1 || got.Email != "luke@rebels.org" {
		t.Errorf("login = %+v; want user 1 luke@rebels.org", got)
	}
	if c := claimsOf(t, got.Token, accessSecret); !c.StandardClaim || c.UserID != 1 {
		t.Errorf("login access claims = %+v", c)
	}
	if r := f.films(t, got.Token); r.status != http.StatusOK {
		t.Errorf("films with the login token = %d %s; want 200", r.status, r.body)
	}
}

func TestLoginFailuresAreNotFound(t *testing.T) {
	f := setup(t)
	f.signup(t, "luke@rebels.org")
	wantError(t, "login with an unknown email",
		f.call(t, http.MethodPost, jwtapitest.PathLogin, "", creds("leia@rebels.org", password)),
		http.StatusNotFound, jwtapitest.CodeNotFound)
	wantError(t, "login with a wrong password",
		f.call(t, http.MethodPost, jwtapitest.PathLogin, "", creds("luke@rebels.org", "Wr0ngPassword")),
		http.StatusNotFound, jwtapitest.CodeNotFound)
	wantProblem(t, "login with a weak password",
		f.call(t, http.MethodPost, jwtapitest.PathLogin, "", creds("luke@rebels.org", "short")),
		http.StatusBadRequest, "password does not match the required pattern: 8 to 32 characters with an upper-case letter, a lower-case letter and a digit")
	if got := f.api.Stats(); got.Logins != 1 || got.LoginsFailed != 3 {
		t.Errorf("Stats() logins = %d, failed = %d; want 1 (the signup's), 3", got.Logins, got.LoginsFailed)
	}
}

// TestOneSessionPerUser: a second login before a logout is refused with
// user-already-logged-in, even with the right password; a logout ends it.
func TestOneSessionPerUser(t *testing.T) {
	f := setup(t)
	first := f.signup(t, "luke@rebels.org")
	wantError(t, "a second login", f.call(t, http.MethodPost, jwtapitest.PathLogin, "", creds("luke@rebels.org", password)),
		http.StatusBadRequest, jwtapitest.CodeUserAlreadyLoggedIn)
	wantError(t, "a second login with a wrong password", f.call(t, http.MethodPost, jwtapitest.PathLogin, "", creds("luke@rebels.org", "Wr0ngPassword")),
		http.StatusNotFound, jwtapitest.CodeNotFound)
	if r := f.logout(t, first.Token); r.status != http.StatusOK {
		t.Fatalf("logout = %d %s", r.status, r.body)
	}
	second := f.login(t, "luke@rebels.org")
	wantError(t, "the first login's refresh token after the second login", f.refresh(t, first.RefreshToken, second.Token),
		http.StatusUnauthorized, jwtapitest.CodeTokenInvalid)
	if got := f.api.Stats(); got.Logins != 2 || got.AlreadyLoggedIn != 1 || got.LoginsFailed != 2 {
		t.Errorf("Stats() = %+v; want 2 logins, 2 failed of which 1 user-already-logged-in", got)
	}
}

func TestAddUser(t *testing.T) {
	f := setup(t)
	id, err := f.api.AddUser("Yoda@Dagobah.org", password, jwtapitest.RoleAdmin)
	if err != nil || id != 1 {
		t.Fatalf("AddUser = %d, %v; want 1, nil", id, err)
	}
	got := f.login(t, "yoda@dagobah.org") // AddUser's accounts are verified
	if c := claimsOf(t, got.Token, accessSecret); c.AccessRole != jwtapitest.RoleAdmin {
		t.Errorf("access_role = %q; want admin", c.AccessRole)
	}
	bad := []struct {
		email, password string
		role            jwtapitest.Role
	}{
		{"yoda@dagobah.org", password, jwtapitest.RoleBasic}, // taken
		{"not-an-email", password, jwtapitest.RoleBasic},
		{"a@b.org", "weak", jwtapitest.RoleBasic},
		{"a@b.org", password, "root"},
	}
	for _, b := range bad {
		if _, err := f.api.AddUser(b.email, b.password, b.role); err == nil {
			t.Errorf("AddUser(%q, %q, %q) = nil error; want one", b.email, b.password, b.role)
		} else if strings.Contains(err.Error(), b.password) {
			t.Errorf("AddUser error %q quotes the password", err)
		}
	}
}
