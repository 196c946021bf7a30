package c2

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
)

// PlansService edits the planner's plans: the waypoints and settings a
// platform will follow.
type PlansService service

// Plan is a planner plan. The fields C2's plans commonly carry are
// decoded; Raw holds the whole document as the server sent it.
type Plan struct {
	ID             int        `json:"id"`
	Name           string     `json:"name"`
	Status         string     `json:"status"`          // such as "draft" or "active"
	PlatformType   string     `json:"platform_type"`   // the platform it steers; empty if none
	PlatformSerial string     `json:"platform_serial"` // the platform it steers; empty if none
	Waypoints      []Waypoint `json:"waypoints"`
	// Raw is the plan as the server answered it, fields unknown to Plan
	// included.
	Raw json.RawMessage `json:"-"`
}

// Waypoint is a point a plan steers to.
type Waypoint struct {
	Latitude  float64 `json:"latitude"`  // degrees north
	Longitude float64 `json:"longitude"` // degrees east
}

const plansPath = "/planner/plans/"

// Patch applies patch, a JSON merge patch (RFC 7396: fields replace, null
// removes), to plan id and returns the plan as it now stands. patch is
// anything that encodes as a JSON object, such as a map or a struct with
// omitempty fields. A PATCH that reached the server is not retried.
//
// C2 API: PATCH /planner/plans/{id}
func (s *PlansService) Patch(ctx context.Context, id int, patch any) (*Plan, error) {
	if patch == nil {
		return nil, errors.New("c2: Plans.Patch needs a patch: a map or struct of the fields to change")
	}
	req, err := s.client.NewRequest(ctx, http.MethodPatch, plansPath+strconv.Itoa(id), patch)
	if err != nil {
		return nil, err
	}
	var raw json.RawMessage
	if _, err := s.client.Do(req, &raw); err != nil {
		return nil, err
	}
	plan := &Plan{Raw: raw}
	if err := json.Unmarshal(raw, plan); err != nil {
		return nil, fmt.Errorf("c2: PATCH plan %d: the answer is not a plan: %w", id, err)
	}
	return plan, nil
}
