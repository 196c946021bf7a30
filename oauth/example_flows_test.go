package oauth_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/bearer-go/bearer/oauth"
	"github.com/bearer-go/bearer/secret"
)

// Discovery from the issuer: one call fills the endpoints, and a
// configuration the server does not support is refused before any
// request, saying what to change. The server here is a few lines of
// net/http answering RFC 8414's metadata and a token endpoint.
func ExampleDiscover() {
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	defer srv.Close()
	mux.HandleFunc("GET /.well-known/oauth-authorization-server", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"issuer":                                srv.URL,
			"token_endpoint":                        srv.URL + "/oauth/token",
			"grant_types_supported":                 []string{"client_credentials", "refresh_token"},
			"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "private_key_jwt"},
		})
	})
	mux.HandleFunc("POST /oauth/token", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"access_token":"at-1","token_type":"Bearer","expires_in":3600}`))
	})

	ctx := context.Background()
	md, err := oauth.Discover(ctx, srv.URL, oauth.Settings{})
	if err != nil {
		log.Fatal(err)
	}
	cc, err := oauth.NewClientCredentials(oauth.ClientCredentialsConfig{
		Metadata: md, // TokenURL comes from here
		Client:   oauth.ClientAuth{Method: oauth.ClientSecretBasic, ID: "robot-7", Secret: secret.New("s3cret")},
	})
	if err != nil {
		log.Fatal(err)
	}
	tok, err := cc.Token(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(strings.TrimPrefix(md.TokenEndpoint, srv.URL), tok.AccessToken)

	_, err = oauth.NewClientCredentials(oauth.ClientCredentialsConfig{
		Metadata: md,
		Client:   oauth.ClientAuth{Method: oauth.ClientSecretPost, ID: "robot-7", Secret: secret.New("s3cret")},
	})
	fmt.Println(strings.TrimPrefix(err.Error(), "oauth: the server "+srv.URL+" "))
	// Output:
	// /oauth/token at-1
	// takes client authentication [client_secret_basic private_key_jwt] at its token endpoint, not client_secret_post: set Client.Method to one of those
}

// instant is a clock whose waits end at once, so that the example does
// not sit through the server's polling interval. Leave Clock unset in a
// program.
type instant struct{}

func (instant) Now() time.Time { return time.Now() }

func (instant) NewTimer(time.Duration) (<-chan time.Time, func() bool) {
	c := make(chan time.Time, 1)
	c <- time.Now()
	return c, func() bool { return false }
}

// The device authorization grant (RFC 8628): the device shows a code, the
// user enters it on a phone, and the device polls until the approval
// arrives. The server here is a few lines of net/http that answer as RFC
// 8628 3.2 and 3.5 show: the user approves after one poll.
func ExampleNewDevice() {
	var polls atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("POST /device_authorization", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"device_code":"GmRhmhcxhwAzkoEqiMEg_DnyEysNkuNhszIySk9eS","user_code":"WDJB-MJHT",
			"verification_uri":"https://example.com/device",
			"verification_uri_complete":"https://example.com/device?user_code=WDJB-MJHT",
			"expires_in":1800,"interval":5}`))
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if polls.Add(1) == 1 {
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"error":"authorization_pending"}`))
			return
		}
		w.Write([]byte(`{"access_token":"at-1","token_type":"Bearer","expires_in":3600,"refresh_token":"rt-1"}`))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	d, err := oauth.NewDevice(oauth.DeviceConfig{
		DeviceAuthURL: srv.URL + "/device_authorization",
		TokenURL:      srv.URL + "/token",
		Client:        oauth.ClientAuth{Method: oauth.AuthNone, ID: "shore-station"},
		Output:        os.Stdout, // the default is os.Stderr
		Clock:         instant{},
	})
	if err != nil {
		log.Fatal(err)
	}
	tok, err := d.Login(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("signed in after", polls.Load(), "polls:", tok.AccessToken)
	// Output:
	// To sign in, open this address in a browser on any device:
	//
	//     https://example.com/device
	//
	// and enter the code:
	//
	//     WDJB-MJHT
	//
	// Or open this address, which carries the code:
	//
	//     https://example.com/device?user_code=WDJB-MJHT
	//
	// The code is valid for 30 minutes.
	// signed in after 2 polls: at-1
}
