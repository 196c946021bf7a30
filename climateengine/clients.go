package climateengine

import (
	"context"
	"net/http"

	"github.com/bearer-go/bearer/secret"
)

// ClientsService manages API clients: the credentials of the
// client_credentials grant, for programs.
type ClientsService struct{ c *Client }

// APIClient is a newly created API client.
type APIClient struct {
	UserID       string        `json:"user_id"`
	ClientID     string        `json:"client_id"`
	ClientSecret secret.String `json:"client_secret"`
}

// Credentials returns credentials that log in as this API client, with
// DefaultMethod.
func (a *APIClient) Credentials() Credentials {
	return Credentials{ClientID: a.ClientID, ClientSecret: a.ClientSecret}
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
