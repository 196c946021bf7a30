package oauth_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/bearer-go/bearer"
	"github.com/bearer-go/bearer/oauth"
	"github.com/bearer-go/bearer/secret"
	"github.com/bearer-go/bearer/tokenrefresh"
)

// proofClaims returns the claims of a DPoP proof, unverified: enough for
// this example's server, which a real one is not (RFC 9449 4.3 has it
// verify the signature with the proof's jwk, iat, jti and the nonce too).
func proofClaims(proof string) map[string]any {
	parts := strings.Split(proof, ".")
	if len(parts) != 3 {
		return nil
	}
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var claims map[string]any
	json.Unmarshal(payload, &claims)
	return claims
}

// DPoP binds the tokens to a key (RFC 9449): the token request and every
// API request carry a new proof of the key, so a stolen token is useless
// without it. The same oauth.DPoP goes to the grant and to the client.
func ExampleNewDPoP() {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if c := proofClaims(r.Header.Get("DPoP")); c["htm"] != "POST" {
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"error":"invalid_dpop_proof"}`)
			return
		}
		io.WriteString(w, `{"access_token":"at-1","token_type":"DPoP","expires_in":3600}`)
	})
	mux.HandleFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
		token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "DPoP ")
		c := proofClaims(r.Header.Get("DPoP"))
		fmt.Fprintf(w, `{"htm":%q,"ath_matches":%t}`, c["htm"], c["ath"] == oauth.AccessTokenHash(token))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	// A key you keep (a file, a KMS): tokens bound to it, a refresh token
	// above all, are useless without it after a restart.
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	dpop, err := oauth.NewDPoP(oauth.DPoPConfig{Key: secret.NewSigner(key)})
	if err != nil {
		log.Fatal(err)
	}
	cc, err := oauth.NewClientCredentials(oauth.ClientCredentialsConfig{
		TokenURL: srv.URL + "/token",
		Client:   oauth.ClientAuth{Method: oauth.ClientSecretBasic, ID: "robot", Secret: secret.New("s3cret")},
		Settings: oauth.Settings{DPoP: dpop},
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	r, err := oauth.NewRefresher(ctx, cc, tokenrefresh.Config{})
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	c, err := bearer.NewClient(srv.URL, bearer.WithTokenSource(r), bearer.WithDPoP(dpop))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	var me struct {
		HTM        string `json:"htm"`
		ATHMatches bool   `json:"ath_matches"`
	}
	if err := c.Get(ctx, "me", &me); err != nil {
		log.Fatal(err)
	}
	fmt.Println("proof for", me.HTM, "bound to the token:", me.ATHMatches)
	// Output: proof for GET bound to the token: true
}
