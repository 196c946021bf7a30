package jwtapitest_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/bearer-go/bearer/login/jwtapitest"
)

// seedClaims returns claims like the server's for user 1, valid now.
func seedClaims(f *fixture, role string) jwt.MapClaims {
	now := f.clock.Now()
	return jwt.MapClaims{
		"iss": "fathat.org", "sub": "53009a0b-7a22-4fa1-baa1-e81e261ada6e",
		"iat": now.Unix(), "exp": now.Add(time.Minute).Unix(),
		"access_role": role, "user_id": 1, "standard_claim": true,
	}
}

func TestSecuredRejections(t *testing.T) {
	f := setup(t)
	tokens := f.signup(t, "luke@rebels.org")

	withoutClaim := seedClaims(f, "basic")
	delete(withoutClaim, "standard_claim")
	withoutUser := seedClaims(f, "basic")
	delete(withoutUser, "user_id")
	future := seedClaims(f, "basic")
	future["iat"] = f.clock.Now().Add(time.Hour).Unix()
	none, err := jwt.NewWithClaims(jwt.SigningMethodNone, seedClaims(f, "basic")).SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}
	hs512, err := jwt.NewWithClaims(jwt.SigningMethodHS512, seedClaims(f, "basic")).SignedString(accessSecret)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(tokens.Token, ".")
	tampered := parts[0] + "." + parts[1] + "x." + parts[2]

	tests := []struct {
		name, authorization string
		code                string // "" for connexion's no-token problem
	}{
		{"no header", "", ""},
		{"basic scheme", "Basic bHVrZTpQYXNzdzByZFg=", ""},
		{"bearer without token", "Bearer ", ""},
		{"token without scheme", tokens.Token, ""},
		{"not a JWT", "Bearer not-a-jwt", jwtapitest.CodeTokenInvalid},
		{"refresh token", "Bearer " + tokens.RefreshToken, jwtapitest.CodeTokenInvalid},
		{"other secret", "Bearer " + forge(t, seedClaims(f, "basic"), []byte("some-other-secret-of-32-bytes!!!")), jwtapitest.CodeTokenInvalid},
		{"refresh secret", "Bearer " + forge(t, seedClaims(f, "basic"), refreshSecret), jwtapitest.CodeTokenInvalid},
		{"alg none", "Bearer " + none, jwtapitest.CodeTokenInvalid},
		{"alg HS512", "Bearer " + hs512, jwtapitest.CodeTokenInvalid},
		{"tampered payload", "Bearer " + tampered, jwtapitest.CodeTokenInvalid},
		{"no standard_claim", "Bearer " + forge(t, withoutClaim, accessSecret), jwtapitest.CodeTokenInvalid},
		{"no user_id", "Bearer " + forge(t, withoutUser, accessSecret), jwtapitest.CodeTokenInvalid},
		{"issued in the future", "Bearer " + forge(t, future, accessSecret), jwtapitest.CodeTokenInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, f.ts.URL+jwtapitest.PathFilms, nil)
			if tt.authorization != "" {
				req.Header.Set("Authorization", tt.authorization)
			}
			r := send(t, f.ts.Client(), req)
			if tt.code == "" {
				wantProblem(t, "GET films", r, http.StatusUnauthorized, jwtapitest.NoTokenDetail)
			} else {
				wantError(t, "GET films", r, http.StatusUnauthorized, tt.code)
			}
		})
	}

	// A forged token that is right in every way is accepted: the checks above
	// fail for the reason named, not for some other.
	if r := f.films(t, forge(t, seedClaims(f, "basic"), accessSecret)); r.status != http.StatusOK {
		t.Errorf("GET films with a well-forged token = %d %s; want 200", r.status, r.body)
	}
	req, _ := http.NewRequest(http.MethodGet, f.ts.URL+jwtapitest.PathFilms, nil)
	req.Header.Set("Authorization", "bearer "+tokens.Token)
	if r := send(t, f.ts.Client(), req); r.status != http.StatusOK {
		t.Errorf("GET films with a lower-case scheme = %d; want 200 (connexion ignores case)", r.status)
	}
	// A role the seed does not know fails its access_roles() lookup.
	wantProblem(t, "GET films with an unknown role", f.films(t, forge(t, seedClaims(f, "root"), accessSecret)),
		http.StatusInternalServerError, internalError)
}

// internalError is the detail of connexion's 500 problem.
const internalError = "The server encountered an internal error and was unable to complete your request. Either the server is overloaded or there is an error in the application."

// TestAccessTokenExpiry: the access token dies at its exp, and the seed's
// refresh, which must name it as old_access_token, fails with a 500 once
// it has: a client has to refresh before.
func TestAccessTokenExpiry(t *testing.T) {
	f := setup(t)
	tokens := f.signup(t, "luke@rebels.org")

	f.clock.Advance(accessTTL - time.Second)
	if r := f.films(t, tokens.Token); r.status != http.StatusOK {
		t.Fatalf("films a second before exp = %d %s; want 200", r.status, r.body)
	}
	f.clock.Advance(time.Second)
	wantError(t, "films at exp", f.films(t, tokens.Token), http.StatusUnauthorized, jwtapitest.CodeTokenExpired)
	wantProblem(t, "generate_tokens naming the expired access token", f.refresh(t, tokens.RefreshToken, tokens.Token),
		http.StatusInternalServerError, internalError)
	if got := f.api.Stats(); got.Crashes != 1 || got.Refreshes != 0 {
		t.Errorf("Stats() = %+v; want 1 crash and no refresh", got)
	}
}

func TestRefreshBeforeExpiry(t *testing.T) {
	f := setup(t)
	tokens := f.signup(t, "luke@rebels.org")
	f.clock.Advance(accessTTL - time.Second)
	next := refreshOK(t, f.refresh(t, tokens.RefreshToken, tokens.Token))
	if r := f.films(t, next.Token); r.status != http.StatusOK {
		t.Errorf("films with the refreshed token = %d %s; want 200", r.status, r.body)
	}
	if c := claimsOf(t, next.Token, accessSecret); !c.ExpiresAt.Equal(f.clock.Now().Add(accessTTL)) {
		t.Errorf("refreshed exp = %v; want %v", c.ExpiresAt, f.clock.Now().Add(accessTTL))
	}
}

// TestRefreshTokenExpiry: once both tokens have expired, nothing works:
// the refresh is refused, a login is refused because the user never
// logged out, and a logout needs a live access token.
func TestRefreshTokenExpiry(t *testing.T) {
	f := setup(t)
	tokens := f.signup(t, "luke@rebels.org")
	f.clock.Advance(refreshTTL)
	wantError(t, "generate_tokens at the refresh token's exp", f.refresh(t, tokens.RefreshToken, tokens.Token),
		http.StatusUnauthorized, jwtapitest.CodeTokenExpired)
	wantError(t, "login again", f.call(t, http.MethodPost, jwtapitest.PathLogin, "", creds("luke@rebels.org", password)),
		http.StatusBadRequest, jwtapitest.CodeUserAlreadyLoggedIn)
	wantError(t, "logout with the expired token", f.logout(t, tokens.Token), http.StatusUnauthorized, jwtapitest.CodeTokenExpired)
}

func TestRefreshRotates(t *testing.T) {
	f := setup(t)
	first := f.signup(t, "luke@rebels.org")
	r := f.refresh(t, first.RefreshToken, first.Token)
	second := refreshOK(t, r)
	if second.User != 1 || second.Token == first.Token || second.RefreshToken == first.RefreshToken {
		t.Errorf("generate_tokens = %+v; want user 1 and two new tokens", second)
	}
	if c := claimsOf(t, second.RefreshToken, refreshSecret); !c.RefreshClaim || c.UserID != 1 {
		t.Errorf("new refresh claims = %+v", c)
	}
	wantError(t, "reusing the rotated refresh token", f.refresh(t, first.RefreshToken, second.Token),
		http.StatusUnauthorized, jwtapitest.CodeTokenInvalid)
	wantError(t, "films with the access token named as old", f.films(t, first.Token),
		http.StatusUnauthorized, jwtapitest.CodeTokenInvalid)
	if r := f.refresh(t, second.RefreshToken, second.Token); r.status != http.StatusOK {
		t.Errorf("generate_tokens with the new refresh token = %d %s; want 200", r.status, r.body)
	}
}

func TestRefreshRejections(t *testing.T) {
	f := setup(t)
	tokens := f.signup(t, "luke@rebels.org")
	wantProblem(t, "generate_tokens without a token", f.refresh(t, "", tokens.Token), http.StatusUnauthorized, jwtapitest.NoTokenDetail)
	wantError(t, "generate_tokens with an access token", f.refresh(t, tokens.Token, tokens.Token),
		http.StatusUnauthorized, jwtapitest.CodeTokenInvalid)
	for _, path := range []string{jwtapitest.PathGenerateTokens, jwtapitest.PathGenerateTokens + "?old_access_token="} {
		wantProblem(t, "GET "+path, f.call(t, http.MethodGet, path, tokens.RefreshToken, nil),
			http.StatusBadRequest, "Missing query parameter 'old_access_token'")
	}
	wantError(t, "old_access_token not a JWT", f.refresh(t, tokens.RefreshToken, "not-a-jwt"),
		http.StatusUnauthorized, jwtapitest.CodeTokenInvalid)
	wantError(t, "old_access_token a refresh token", f.refresh(t, tokens.RefreshToken, tokens.RefreshToken),
		http.StatusUnauthorized, jwtapitest.CodeTokenInvalid)

	ghost := func(marker string) jwt.MapClaims {
		return jwt.MapClaims{
			"iss": "fathat.org", "sub": "x", "iat": start.Unix(), "exp": start.Add(time.Hour).Unix(),
			"access_role": "basic", "user_id": 99, marker: true,
		}
	}
	wantProblem(t, "generate_tokens for a user that does not exist",
		f.refresh(t, forge(t, ghost("refresh_claim"), refreshSecret), forge(t, ghost("standard_claim"), accessSecret)),
		http.StatusInternalServerError, internalError)
	if r := f.refresh(t, tokens.RefreshToken, tokens.Token); r.status != http.StatusOK {
		t.Errorf("generate_tokens after the rejections = %d %s; want 200: none used the refresh token up", r.status, r.body)
	}
}

// TestRefreshWithAnotherUsersToken: the seed revokes the access token
// named as old before it checks whose it is, then answers 403.
func TestRefreshWithAnotherUsersToken(t *testing.T) {
	f := setup(t)
	luke := f.signup(t, "luke@rebels.org")
	leia := f.signup(t, "leia@rebels.org")
	wantError(t, "Luke's refresh naming Leia's token", f.refresh(t, luke.RefreshToken, leia.Token),
		http.StatusForbidden, jwtapitest.CodeTokenInvalid)
	wantError(t, "films with Leia's token", f.films(t, leia.Token), http.StatusUnauthorized, jwtapitest.CodeTokenInvalid)
	if r := f.refresh(t, luke.RefreshToken, luke.Token); r.status != http.StatusOK {
		t.Errorf("Luke's refresh naming his own token = %d %s; want 200", r.status, r.body)
	}
}

// TestLoginRevokesPreviousRefreshToken: a logout leaves the refresh token
// valid; the next login revokes it.
func TestLoginRevokesPreviousRefreshToken(t *testing.T) {
	f := setup(t)
	first := f.signup(t, "luke@rebels.org")
	if r := f.logout(t, first.Token); r.status != http.StatusOK {
		t.Fatalf("logout = %d %s", r.status, r.body)
	}
	second := f.login(t, "luke@rebels.org")
	wantError(t, "the refresh token of the previous login", f.refresh(t, first.RefreshToken, second.Token),
		http.StatusUnauthorized, jwtapitest.CodeTokenInvalid)
	if r := f.refresh(t, second.RefreshToken, second.Token); r.status != http.StatusOK {
		t.Errorf("the new login's refresh token = %d; want 200", r.status)
	}
}

// TestLogoutRevokesTheAccessTokenOnly: as in the seed, logout revokes the
// access token and ends the session, but the refresh token still works.
func TestLogoutRevokesTheAccessTokenOnly(t *testing.T) {
	f := setup(t)
	tokens := f.signup(t, "luke@rebels.org")
	r := f.logout(t, tokens.Token)
	if r.status != http.StatusOK || string(r.body) != "{}\n" {
		t.Fatalf("logout = %d %q; want 200 {}", r.status, r.body)
	}
	wantError(t, "films after logout", f.films(t, tokens.Token), http.StatusUnauthorized, jwtapitest.CodeTokenInvalid)
	wantError(t, "logout twice", f.logout(t, tokens.Token), http.StatusUnauthorized, jwtapitest.CodeTokenInvalid)
	wantProblem(t, "logout without a token", f.logout(t, ""), http.StatusUnauthorized, jwtapitest.NoTokenDetail)

	// Revocation is checked before expiry, as in the seed.
	f.clock.Advance(accessTTL)
	wantError(t, "films with a revoked, expired token", f.films(t, tokens.Token), http.StatusUnauthorized, jwtapitest.CodeTokenInvalid)

	again := f.login(t, "luke@rebels.org")
	if r := f.films(t, again.Token); r.status != http.StatusOK {
		t.Errorf("films after logging in again = %d; want 200", r.status)
	}
	if got := f.api.Stats().Logouts; got != 1 {
		t.Errorf("Stats().Logouts = %d; want 1", got)
	}
}

func TestLogoutRefreshTokenStillWorks(t *testing.T) {
	f := setup(t)
	tokens := f.signup(t, "luke@rebels.org")
	f.logout(t, tokens.Token)
	next := refreshOK(t, f.refresh(t, tokens.RefreshToken, tokens.Token))
	if r := f.films(t, next.Token); r.status != http.StatusOK {
		t.Errorf("films with tokens refreshed after the logout = %d; want 200, as on the seed's server", r.status)
	}
}

// TestLogoutNeedsCapitalBearer: connexion takes any case of the scheme;
// the seed's logout looks for "Bearer " itself.
func TestLogoutNeedsCapitalBearer(t *testing.T) {
	f := setup(t)
	tokens := f.signup(t, "luke@rebels.org")
	req, _ := http.NewRequest(http.MethodGet, f.ts.URL+jwtapitest.PathLogout, nil)
	req.Header.Set("Authorization", "bearer "+tokens.Token)
	wantError(t, "logout with bearer in lower case", send(t, f.ts.Client(), req),
		http.StatusBadRequest, jwtapitest.MessageAuthorisationRequired)
}

// TestRedisDown: while the revocation set does not answer, every secured
// endpoint answers 503, and a login that must revoke an earlier login's
// refresh token fails with a 500; a first login works.
func TestRedisDown(t *testing.T) {
	f := setup(t)
	luke := f.signup(t, "luke@rebels.org")
	f.logout(t, luke.Token)
	fresh := f.signup(t, "leia@rebels.org")
	if _, err := f.api.AddUser("han@falcon.org", password, jwtapitest.RoleBasic); err != nil {
		t.Fatal(err)
	}

	f.api.SetRedisDown(true)
	for what, r := range map[string]reply{
		"films":           f.films(t, fresh.Token),
		"logout":          f.logout(t, fresh.Token),
		"generate_tokens": f.refresh(t, fresh.RefreshToken, fresh.Token),
	} {
		wantError(t, what+" with Redis down", r, http.StatusServiceUnavailable, jwtapitest.CodeServiceUnavailable)
	}
	wantProblem(t, "login of a user with an earlier refresh token", f.call(t, http.MethodPost, jwtapitest.PathLogin, "", creds("luke@rebels.org", password)),
		http.StatusInternalServerError, internalError)
	han := f.login(t, "han@falcon.org") // no refresh token to revoke

	f.api.SetRedisDown(false)
	if r := f.logout(t, fresh.Token); r.status != http.StatusOK {
		t.Errorf("logout once Redis is back = %d %s; want 200", r.status, r.body)
	}
	if r := f.films(t, han.Token); r.status != http.StatusOK {
		t.Errorf("films with the token of the login made while Redis was down = %d; want 200", r.status)
	}
	if got := f.api.Stats(); got.Unavailable != 3 || got.Crashes != 1 {
		t.Errorf("Stats() = %+v; want 3 unavailable answers and 1 crash", got)
	}
}

func TestServerRevoke(t *testing.T) {
	f := setup(t)
	tokens := f.signup(t, "luke@rebels.org")
	f.api.Revoke(tokens.Token)
	wantError(t, "films with a token the server revoked", f.films(t, tokens.Token), http.StatusUnauthorized, jwtapitest.CodeTokenInvalid)
}

func TestRoles(t *testing.T) {
	f := setup(t)
	luke := f.signup(t, "luke@rebels.org")
	userPath := jwtapitest.PathUsers + "1"

	wantError(t, "basic user on the admin endpoint", f.call(t, http.MethodGet, userPath, luke.Token, nil),
		http.StatusUnauthorized, jwtapitest.CodeAuthorisationRequired)

	if err := f.api.Promote("LUKE@rebels.org"); err != nil {
		t.Fatalf("Promote: %v", err)
	}
	wantError(t, "token issued before the promotion", f.call(t, http.MethodGet, userPath, luke.Token, nil),
		http.StatusUnauthorized, jwtapitest.CodeAuthorisationRequired)

	admin := refreshOK(t, f.refresh(t, luke.RefreshToken, luke.Token))
	if c := claimsOf(t, admin.Token, accessSecret); c.AccessRole != jwtapitest.RoleAdmin {
		t.Fatalf("refreshed access_role = %q; want admin", c.AccessRole)
	}
	got := decodeOK[jwtapitest.User](t, f.call(t, http.MethodGet, userPath, admin.Token, nil))
	if want := (jwtapitest.User{AccessRole: jwtapitest.RoleAdmin, Email: "luke@rebels.org", UserID: 1}); got != want {
		t.Errorf("GET %s = %+v; want %+v", userPath, got, want)
	}
	wantError(t, "admin asks for a missing user", f.call(t, http.MethodGet, jwtapitest.PathUsers+"42", admin.Token, nil),
		http.StatusNotFound, jwtapitest.CodeNotFound)
	wantError(t, "admin asks for a huge user id", f.call(t, http.MethodGet, jwtapitest.PathUsers+"99999999999999999999999", admin.Token, nil),
		http.StatusNotFound, jwtapitest.CodeNotFound)
	if r := f.films(t, admin.Token); r.status != http.StatusOK {
		t.Errorf("admin on the basic films endpoint = %d; want 200 (admin ranks above basic)", r.status)
	}
	wantProblem(t, "a user id that is not a number", f.call(t, http.MethodGet, jwtapitest.PathUsers+"luke", admin.Token, nil),
		http.StatusNotFound, "The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.")
	wantProblem(t, "the admin endpoint without a token", f.call(t, http.MethodGet, userPath, "", nil),
		http.StatusUnauthorized, jwtapitest.NoTokenDetail)

	if err := f.api.Promote("nobody@rebels.org"); err == nil {
		t.Error("Promote(unknown) = nil; want an error")
	}
}

func TestFilms(t *testing.T) {
	f := setup(t)
	tokens := f.signup(t, "luke@rebels.org")
	list := decodeOK[jwtapitest.FilmList](t, f.films(t, tokens.Token))
	if list.Count != 6 || len(list.Results) != 6 || list.Results[0].Title != "A New Hope" || list.Results[0].EpisodeID != 4 {
		t.Errorf("films = %d %+v; want the six films, A New Hope first", list.Count, list.Results)
	}
	one := decodeOK[jwtapitest.Film](t, f.call(t, http.MethodGet, jwtapitest.PathFilms+"2", tokens.Token, nil))
	if one.Title != "The Empire Strikes Back" {
		t.Errorf("film 2 = %+v; want The Empire Strikes Back", one)
	}
	for _, id := range []string{"0", "7", "x"} {
		wantError(t, "film "+id, f.call(t, http.MethodGet, jwtapitest.PathFilms+id, tokens.Token, nil),
			http.StatusNotFound, jwtapitest.CodeNotFound)
	}
	// The seed secures /films/v1/ only.
	if r := f.call(t, http.MethodGet, jwtapitest.PathFilms+"1", "", nil); r.status != http.StatusOK {
		t.Errorf("one film without a token = %d %s; want 200", r.status, r.body)
	}
	wantProblem(t, "the list without a token", f.films(t, ""), http.StatusUnauthorized, jwtapitest.NoTokenDetail)
}
