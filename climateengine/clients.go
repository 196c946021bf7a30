package climateengine

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
)

// ClientsService manages API clients: the credentials of the
// client_credentials grant, for programs.
type ClientsService struct{ c *Client }

// APIClient is a newly created API client.
type APIClient struct {
	UserID       string `json:"user_id"`
	ClientID     string `json:"client_id"`
	ClientSecret Secret `json:"client_secret"`
}

// Credentials returns credentials that log in as this API client, with
// DefaultMethod.
func (a *APIClient) Credentials() Credentials {
	return Credentials{ClientID: a.ClientID, ClientSecret: a.ClientSecret.Reveal()}
}

// Create creates an API client for the logged-in user. Its secret is shown
// this once and cannot be read again: store ClientSecret.Reveal()
// somewhere safe.
//
// POST /api/v1/clients/ on the auth server; it answers 201.
func (s *ClientsService) Create(ctx context.Context) (*APIClient, error) {
	req, err := s.c.auth.NewRequest(ctx, http.MethodPost, "api/v1/clients/", nil)
	if err != nil {
		return nil, err
	}
	ac := new(APIClient)
	if _, err := s.c.auth.Do(req, ac); err != nil {
		return nil, err
	}
	return ac, nil
}

// Secret is a value that must not be printed, such as a client secret. It
// prints as REDACTED with every fmt verb and in slog; encoding it as JSON
// gives "REDACTED" too. [Secret.Reveal] returns the value.
type Secret struct{ v string }

// NewSecret wraps a value.
func NewSecret(v string) Secret { return Secret{v} }

// Reveal returns the secret value.
func (s Secret) Reveal() string { return s.v }

// String returns "REDACTED".
func (s Secret) String() string { return "REDACTED" }

// GoString returns "REDACTED".
func (s Secret) GoString() string { return "REDACTED" }

// Format prints "REDACTED" whatever the verb.
func (s Secret) Format(f fmt.State, verb rune) { io.WriteString(f, "REDACTED") }

// LogValue logs "REDACTED".
func (s Secret) LogValue() slog.Value { return slog.StringValue("REDACTED") }

// MarshalJSON encodes "REDACTED": store Reveal() explicitly instead.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"REDACTED"`), nil }

// UnmarshalJSON reads the secret from a JSON string.
func (s *Secret) UnmarshalJSON(b []byte) error { return json.Unmarshal(b, &s.v) }
