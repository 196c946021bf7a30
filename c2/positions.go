package c2

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// PositionsService reads the positions platforms report.
type PositionsService service

// Position is one position fix of a platform.
type Position struct {
	Timestamp      time.Time `json:"timestamp"`       // when the fix was taken
	Latitude       float64   `json:"latitude"`        // degrees north
	Longitude      float64   `json:"longitude"`       // degrees east
	PlatformType   string    `json:"platform_type"`   // such as "slocum"
	PlatformSerial string    `json:"platform_serial"` // such as "unit_398"
	Source         string    `json:"source"`          // how it was reported, such as "iridium"
}

// PositionsQuery selects the positions of one platform.
type PositionsQuery struct {
	// PlatformType is the platform's type, such as "slocum". Required.
	PlatformType string
	// PlatformSerial is the platform's serial, such as "unit_398".
	// Required.
	PlatformSerial string
	// From is the earliest time to list. Optional: zero lists from the
	// start of the record.
	From time.Time
	// To is the latest time to list. Optional: zero lists up to now.
	To time.Time
	// Ascending lists the oldest first. Optional: false lists the newest
	// first (time_order=descending), as piloting algorithms want.
	Ascending bool
	// Limit caps how many positions are listed. Optional: zero means no
	// cap.
	Limit int
}

// values encodes q as the query of GET /positions/positions.
func (q PositionsQuery) values() (url.Values, error) {
	if q.PlatformType == "" || q.PlatformSerial == "" {
		return nil, errors.New("c2: PositionsQuery needs PlatformType and PlatformSerial")
	}
	if q.Limit < 0 {
		return nil, errors.New("c2: PositionsQuery.Limit must not be negative")
	}
	v := url.Values{"platform_type": {q.PlatformType}, "platform_serial": {q.PlatformSerial}, "time_order": {"descending"}}
	if q.Ascending {
		v.Set("time_order", "ascending")
	}
	if !q.From.IsZero() {
		v.Set("from", q.From.UTC().Format(time.RFC3339Nano))
	}
	if !q.To.IsZero() {
		v.Set("to", q.To.UTC().Format(time.RFC3339Nano))
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	return v, nil
}

const positionsPath = "/positions/positions"

// List returns the positions q selects. A platform without positions in
// range, or one the token may not see among a collection, gives an empty
// list, not an error; naming a platform the token may not see gives a
// [*PermissionError].
//
// C2 API: GET /positions/positions?platform_type=&platform_serial=&from=&time_order=descending
func (s *PositionsService) List(ctx context.Context, q PositionsQuery) ([]Position, error) {
	v, err := q.values()
	if err != nil {
		return nil, err
	}
	req, err := s.client.NewRequest(ctx, http.MethodGet, positionsPath+"?"+v.Encode(), nil)
	if err != nil {
		return nil, err
	}
	positions := []Position{}
	if _, err := s.client.Do(req, &positions); err != nil {
		return nil, err
	}
	return positions, nil
}
