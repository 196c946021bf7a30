package climateengine

import (
	"context"
	"net/http"
)

// UsersService reads accounts on the auth server.
type UsersService struct{ c *Client }

// User is a Climate Engine account.
type User struct {
	ID          string `json:"id"`
	Email       string `json:"email"`
	IsActive    bool   `json:"is_active"`
	IsSuperuser bool   `json:"is_superuser"`
	IsVerified  bool   `json:"is_verified"`
}

// Me returns the account the client is logged in as.
//
// GET /api/v1/users/me on the auth server.
func (s *UsersService) Me(ctx context.Context) (*User, error) {
	req, err := s.c.auth.NewRequest(ctx, http.MethodGet, "api/v1/users/me", nil)
	if err != nil {
		return nil, err
	}
	u := new(User)
	if _, err := s.c.auth.Do(req, u); err != nil {
		return nil, err
	}
	return u, nil
}
