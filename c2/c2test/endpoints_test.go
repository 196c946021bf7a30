package c2test_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bearer-go/bearer/c2/c2test"
)

// endpoints is one request to every endpoint, each valid but for the token.
var endpoints = []struct{ method, path, body string }{
	{http.MethodGet, c2test.DriversPath, ""},
	{http.MethodGet, positionsSlocum, ""},
	{http.MethodGet, c2test.ObservationsPath + "?variable=sea_water_temperature&platform_type=slocum&platform_serial=unit_398", ""},
	{http.MethodPatch, c2test.PlansPathPrefix + "1", `{"status":"active"}`},
	{http.MethodPost, c2test.LogPath, `{"message":"hello"}`},
}

func TestEndpointsNeedAToken(t *testing.T) {
	e := setup(t, c2test.Options{})
	dead := e.fake.IssueToken()
	e.fake.Revoke(dead)
	for _, ep := range endpoints {
		t.Run(ep.method+" "+ep.path, func(t *testing.T) {
			resp, body := e.call(t, ep.method, ep.path, "", ep.body)
			if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") != "Bearer" {
				t.Errorf("without a token = %d, challenge %q; want 401, %q",
					resp.StatusCode, resp.Header.Get("WWW-Authenticate"), "Bearer")
			}
			if got := detail(t, body); got != "Not authenticated" {
				t.Errorf("detail without a token = %q; want %q", got, "Not authenticated")
			}
			resp, _ = e.call(t, ep.method, ep.path, dead, ep.body)
			challenge := resp.Header.Get("WWW-Authenticate")
			if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(challenge, `Bearer error="invalid_token"`) {
				t.Errorf("with a revoked token = %d, challenge %q; want 401, invalid_token", resp.StatusCode, challenge)
			}
			if got := e.status(t, ep.method, ep.path, e.fake.IssueToken(), ep.body); got >= 300 {
				t.Errorf("with a live token = %d; want success", got)
			}
		})
	}
	if got := e.fake.Stats().Unauthorized; got != 2*len(endpoints) {
		t.Errorf("Stats().Unauthorized = %d; want %d", got, 2*len(endpoints))
	}
}

func TestDrivers(t *testing.T) {
	e := setup(t, c2test.Options{})
	resp, body := e.call(t, http.MethodGet, c2test.DriversPath, e.fake.IssueToken(), "")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET drivers = %d %q; want 200 application/json", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var drivers []map[string]json.RawMessage
	if err := json.Unmarshal(body, &drivers); err != nil {
		t.Fatalf("drivers %s: %v", body, err)
	}
	byName := make(map[string]map[string]json.RawMessage)
	for _, d := range drivers {
		for _, field := range []string{"module_name", "description", "parameter_schema", "status_schema"} {
			if _, ok := d[field]; !ok {
				t.Errorf("driver %s lacks %q", d["module_name"], field)
			}
		}
		var name string
		json.Unmarshal(d["module_name"], &name)
		byName[name] = d
	}
	simple, ok := byName["simple"]
	if !ok || string(simple["parameter_schema"]) != "null" || !strings.Contains(string(simple["description"]), "greatblue2") {
		t.Errorf("driver simple = %v; want null schemas and the notebook's description", simple)
	}
	if q := byName["waypoint_queue"]; !strings.HasPrefix(string(q["parameter_schema"]), "{") {
		t.Errorf("driver waypoint_queue parameter_schema = %s; want an object", q["parameter_schema"])
	}
}

func TestUnknownPathIsJSON404(t *testing.T) {
	e := setup(t, c2test.Options{})
	resp, body := e.call(t, http.MethodGet, "/nowhere", "", "")
	if resp.StatusCode != http.StatusNotFound || detail(t, body) != "Not Found" {
		t.Errorf("GET /nowhere = %d %s; want 404 {\"detail\":\"Not Found\"}", resp.StatusCode, body)
	}
}

// position is the part of a position record the tests read.
type position struct {
	Timestamp      time.Time `json:"timestamp"`
	Latitude       float64   `json:"latitude"`
	Longitude      float64   `json:"longitude"`
	PlatformType   string    `json:"platform_type"`
	PlatformSerial string    `json:"platform_serial"`
}

func getPositions(t *testing.T, e *env, token, query string) []position {
	t.Helper()
	resp, body := e.call(t, http.MethodGet, positionsSlocum+query, token, "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET positions%s = %d %s; want 200", query, resp.StatusCode, body)
	}
	var out []position
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("positions %s: %v", body, err)
	}
	return out
}

func TestPositions(t *testing.T) {
	e := setup(t, c2test.Options{})
	tok := e.fake.IssueToken()
	latest := start.Truncate(10 * time.Minute)

	all := getPositions(t, e, tok, "")
	if len(all) != 289 || !all[0].Timestamp.Equal(latest) || !all[0].Timestamp.After(all[1].Timestamp) {
		t.Fatalf("positions: %d, first %v; want 289 newest first from %v", len(all), all[0].Timestamp, latest)
	}
	p := all[0]
	if p.PlatformType != "slocum" || p.PlatformSerial != "unit_398" ||
		p.Latitude < 47 || p.Latitude > 61 || p.Longitude < -21 || p.Longitude > 1 {
		t.Errorf("position = %+v; want slocum unit_398 in the North-East Atlantic", p)
	}

	from := latest.Add(-time.Hour)
	asc := getPositions(t, e, tok, "&time_order=ascending&from="+from.Format(time.RFC3339))
	if len(asc) != 7 || !asc[0].Timestamp.Equal(from) || !asc[6].Timestamp.Equal(latest) {
		t.Errorf("ascending from %v: %d fixes, %v to %v; want 7 from %v to %v",
			from, len(asc), asc[0].Timestamp, asc[len(asc)-1].Timestamp, from, latest)
	}
	if asc[6] != all[0] {
		t.Errorf("the same fix differs between requests: %+v vs %+v", asc[6], all[0])
	}
	if got := getPositions(t, e, tok, "&limit=3"); len(got) != 3 || got[0] != all[0] {
		t.Errorf("limit=3 gave %d fixes starting %+v; want the 3 newest", len(got), got[0])
	}
	to := latest.Add(-47 * time.Hour)
	if got := getPositions(t, e, tok, "&to="+to.Format("2006-01-02T15:04:05")); len(got) != 7 {
		t.Errorf("to=%v gave %d fixes; want 7", to, len(got))
	}
}

func TestPositionsValidation(t *testing.T) {
	e := setup(t, c2test.Options{})
	tok := e.fake.IssueToken()
	tests := []struct {
		query     string
		wantTypes []string
		wantLoc   string
	}{
		{"", []string{"missing", "missing"}, "query.platform_type"},
		{"?platform_type=slocum", []string{"missing"}, "query.platform_serial"},
		{"?platform_type=slocum&platform_serial=unit_398&time_order=sideways", []string{"enum"}, "query.time_order"},
		{"?platform_type=slocum&platform_serial=unit_398&from=yesterday", []string{"datetime_from_date_parsing"}, "query.from"},
		{"?platform_type=slocum&platform_serial=unit_398&limit=ten", []string{"int_parsing"}, "query.limit"},
		{"?platform_type=slocum&platform_serial=unit_398&limit=0", []string{"greater_than_equal"}, "query.limit"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			resp, body := e.call(t, http.MethodGet, c2test.PositionsPath+tt.query, tok, "")
			if resp.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("GET = %d %s; want 422", resp.StatusCode, body)
			}
			errs := validations(t, body)
			var types []string
			for _, v := range errs {
				types = append(types, v.Type)
			}
			if strings.Join(types, ",") != strings.Join(tt.wantTypes, ",") {
				t.Errorf("error types = %v; want %v", types, tt.wantTypes)
			}
			if loc := errs[0].Loc; len(loc) != 2 || loc[0].(string)+"."+loc[1].(string) != tt.wantLoc {
				t.Errorf("first loc = %v; want %s", loc, tt.wantLoc)
			}
		})
	}
}

func TestPositionsForbiddenVersusEmpty(t *testing.T) {
	e := setup(t, c2test.Options{})
	tok := e.fake.IssueToken("slocum/unit_398", "ecosub/eco_7", "autosub_lr/*")

	resp, body := e.call(t, http.MethodGet,
		c2test.PositionsPath+"?platform_type=sailbuoy&platform_serial=SB2016", tok, "")
	if want := "Missing permission: view platform sailbuoy/SB2016"; resp.StatusCode != http.StatusForbidden || detail(t, body) != want {
		t.Errorf("unseen platform = %d %s; want 403 %q", resp.StatusCode, body, want)
	}

	empty := []struct{ name, path string }{
		{"no fix in range", positionsSlocum + "&from=" + start.Add(time.Hour).Format(time.RFC3339)},
		{"permitted platform without data", c2test.PositionsPath + "?platform_type=ecosub&platform_serial=eco_7"},
		{"platform seen through a type wildcard", c2test.PositionsPath + "?platform_type=autosub_lr&platform_serial=ALR_9"},
	}
	for _, tt := range empty {
		resp, body := e.call(t, http.MethodGet, tt.path, tok, "")
		if resp.StatusCode != http.StatusOK || strings.TrimSpace(string(body)) != "[]" {
			t.Errorf("%s = %d %s; want 200 []", tt.name, resp.StatusCode, body)
		}
	}
}

func TestDefaultPlatforms(t *testing.T) {
	e := setup(t, c2test.Options{DefaultPlatforms: []string{}})
	if got := e.status(t, http.MethodGet, positionsSlocum, e.fake.IssueToken(), ""); got != http.StatusForbidden {
		t.Errorf("token with no permissions = %d; want 403", got)
	}
	if got := e.status(t, http.MethodGet, positionsSlocum, e.fake.IssueToken(c2test.AllPlatforms), ""); got != http.StatusOK {
		t.Errorf("token with AllPlatforms = %d; want 200", got)
	}
}

func TestPlatformsOption(t *testing.T) {
	e := setup(t, c2test.Options{Platforms: []string{"ecosub/eco_7"}})
	tok := e.fake.IssueToken()
	if got := getPositions(t, e, tok, ""); len(got) != 0 {
		t.Errorf("positions of a platform left out of Options.Platforms: %d; want none", len(got))
	}
	resp, body := e.call(t, http.MethodGet, c2test.PositionsPath+"?platform_type=ecosub&platform_serial=eco_7", tok, "")
	if resp.StatusCode != http.StatusOK || len(body) < 100 {
		t.Errorf("positions of a platform in Options.Platforms = %d %q; want 200 with fixes", resp.StatusCode, body)
	}
}
