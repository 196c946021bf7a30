package c2test

import (
	"hash/fnv"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"
)

const (
	// positionInterval is the spacing of position fixes: gliders surface
	// and report by Iridium every few tens of minutes.
	positionInterval = 10 * time.Minute

	// positionHistory is how far back from now the positions reach: two
	// days is enough for any range a test asks for and small to generate.
	positionHistory = 48 * time.Hour
)

// position is one record of GET /positions/positions.
type position struct {
	Timestamp      time.Time `json:"timestamp"`
	Latitude       float64   `json:"latitude"`
	Longitude      float64   `json:"longitude"`
	PlatformType   string    `json:"platform_type"`
	PlatformSerial string    `json:"platform_serial"`
	Source         string    `json:"source"`
}

// positionQuery is a validated positions request.
type positionQuery struct {
	typ, serial string
	from, to    time.Time // zero means unbounded
	ascending   bool
	limit       int // zero means no limit
}

// handlePositions serves GET /positions/positions. platform_type and
// platform_serial are required; from and to (ISO 8601) bound the times;
// time_order is "descending" (the default) or "ascending"; limit caps the
// count. The answer is a JSON list, empty when no fix falls in range.
func (s *Server) handlePositions(w http.ResponseWriter, r *http.Request) {
	perms, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	q, errs := parsePositionQuery(r.URL.Query())
	if len(errs) > 0 {
		writeValidation(w, errs)
		return
	}
	if !perms.allows(q.typ, q.serial) {
		writeForbidden(w, q.typ, q.serial)
		return
	}
	writeJSON(w, http.StatusOK, s.positions(q))
}

func parsePositionQuery(v url.Values) (positionQuery, []fieldError) {
	var q positionQuery
	var errs []fieldError
	q.typ, q.serial, errs = platformParams(v)
	var err *fieldError
	if q.from, err = timeParam(v, "from"); err != nil {
		errs = append(errs, *err)
	}
	if q.to, err = timeParam(v, "to"); err != nil {
		errs = append(errs, *err)
	}
	switch order := v.Get("time_order"); order {
	case "", "descending":
	case "ascending":
		q.ascending = true
	default:
		errs = append(errs, fieldError{Type: "enum", Loc: []any{"query", "time_order"},
			Msg: "Input should be 'ascending' or 'descending'", Input: order})
	}
	if s := v.Get("limit"); s != "" {
		n, convErr := strconv.Atoi(s)
		switch {
		case convErr != nil:
			errs = append(errs, intError("query", "limit", s))
		case n < 1:
			errs = append(errs, fieldError{Type: "greater_than_equal", Loc: []any{"query", "limit"},
				Msg: "Input should be greater than or equal to 1", Input: s})
		default:
			q.limit = n
		}
	}
	return q, errs
}

// platformParams reads the required platform_type and platform_serial.
func platformParams(v url.Values) (typ, serial string, errs []fieldError) {
	typ, serial = v.Get("platform_type"), v.Get("platform_serial")
	if typ == "" {
		errs = append(errs, missing("query", "platform_type"))
	}
	if serial == "" {
		errs = append(errs, missing("query", "platform_serial"))
	}
	return typ, serial, errs
}

// timeParam reads an optional ISO 8601 date-time or date; one without a
// zone is UTC, as pydantic reads it.
func timeParam(v url.Values, name string) (time.Time, *fieldError) {
	s := v.Get(name)
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, &fieldError{Type: "datetime_from_date_parsing", Loc: []any{"query", name},
		Msg: "Input should be a valid datetime or date", Input: s}
}

// intError is the validation error of a parameter that is not an integer.
func intError(where, name, input string) fieldError {
	return fieldError{Type: "int_parsing", Loc: []any{where, name},
		Msg: "Input should be a valid integer, unable to parse string as an integer", Input: input}
}

// writeForbidden answers 403 naming the missing permission, as C2 does
// when a request names one platform the token may not view.
func writeForbidden(w http.ResponseWriter, typ, serial string) {
	writeDetail(w, http.StatusForbidden, "Missing permission: view platform "+typ+"/"+serial)
}

// positions returns the fixes of q's platform in q's range, in q's order.
// A platform without data has none. The list is never nil, so it encodes
// as [].
func (s *Server) positions(q positionQuery) []position {
	out := []position{}
	if !s.platforms[q.typ+"/"+q.serial] {
		return out
	}
	latest := s.now().UTC().Truncate(positionInterval)
	for t := latest.Add(-positionHistory); !t.After(latest); t = t.Add(positionInterval) {
		if (q.from.IsZero() || !t.Before(q.from)) && (q.to.IsZero() || !t.After(q.to)) {
			out = append(out, fix(q.typ, q.serial, t))
		}
	}
	if !q.ascending {
		slices.Reverse(out)
	}
	if q.limit > 0 && len(out) > q.limit {
		out = out[:q.limit]
	}
	return out
}

// fix computes the position of a platform at t: a slow loop around a home
// point in the North-East Atlantic chosen by the platform's key. The same
// platform and time always give the same fix.
func fix(typ, serial string, t time.Time) position {
	h := fnv.New32a()
	h.Write([]byte(typ + "/" + serial))
	seed := h.Sum32()
	lat0 := 48 + float64(seed%1200)/100         // 48°N to 60°N
	lon0 := -20 + float64((seed/1200)%2000)/100 // 20°W to 0°
	k := float64(t.Unix() / int64(positionInterval/time.Second))
	return position{
		Timestamp:      t,
		Latitude:       round5(lat0 + 0.25*math.Sin(k*0.02)),
		Longitude:      round5(lon0 + 0.4*math.Cos(k*0.015)),
		PlatformType:   typ,
		PlatformSerial: serial,
		Source:         "iridium",
	}
}

func round5(x float64) float64 { return math.Round(x*1e5) / 1e5 }
