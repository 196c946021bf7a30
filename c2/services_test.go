package c2_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bearer-go/bearer"
	"github.com/bearer-go/bearer/c2"
	"github.com/bearer-go/bearer/c2/c2test"
)

// queries records the query of every request to a path, by path.
type queries struct {
	mu   sync.Mutex // guards seen
	seen map[string][]url.Values
}

func (q *queries) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q.mu.Lock()
		if q.seen == nil {
			q.seen = make(map[string][]url.Values)
		}
		q.seen[r.URL.Path] = append(q.seen[r.URL.Path], r.URL.Query())
		q.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

func (q *queries) last(path string) url.Values {
	q.mu.Lock()
	defer q.mu.Unlock()
	s := q.seen[path]
	if len(s) == 0 {
		return nil
	}
	return s[len(s)-1]
}

func TestDriversList(t *testing.T) {
	e := setup(t, c2test.Options{})
	c := e.newClient(t)
	drivers, err := c.Drivers.List(ctx(t))
	if err != nil {
		t.Fatalf("Drivers.List() = %v", err)
	}
	var names []string
	for _, d := range drivers {
		names = append(names, d.ModuleName)
	}
	if got := strings.Join(names, ","); got != "simple,simple_no_upload,waypoint_queue" {
		t.Errorf("Drivers.List() names = %s", got)
	}
	if !strings.Contains(drivers[0].Description, "Simple driver") || string(drivers[0].ParameterSchema) != "null" {
		t.Errorf("Drivers.List()[0] = %+v; want the simple driver with a null schema", drivers[0])
	}
	var schema map[string]any
	if err := json.Unmarshal(drivers[2].ParameterSchema, &schema); err != nil || schema["type"] != "object" {
		t.Errorf("waypoint_queue parameter schema = %s; want a JSON Schema object", drivers[2].ParameterSchema)
	}
}

func TestPositionsList(t *testing.T) {
	var q queries
	e := setup(t, c2test.Options{}, q.wrap)
	c := e.newClient(t)
	from := epoch.Add(-2 * time.Hour)
	fixes, err := c.Positions.List(ctx(t), c2.PositionsQuery{PlatformType: "slocum", PlatformSerial: "unit_398", From: from})
	if err != nil {
		t.Fatalf("Positions.List() = %v", err)
	}
	got := q.last("/positions/positions")
	want := url.Values{"platform_type": {"slocum"}, "platform_serial": {"unit_398"},
		"from": {"2026-03-02T07:00:00Z"}, "time_order": {"descending"}}
	if got.Encode() != want.Encode() {
		t.Errorf("query = %s; want %s", got.Encode(), want.Encode())
	}
	if len(fixes) != 13 {
		t.Fatalf("Positions.List() gave %d fixes; want 13 (every 10 minutes for 2 hours)", len(fixes))
	}
	if !fixes[0].Timestamp.Equal(epoch) || !fixes[12].Timestamp.Equal(from) {
		t.Errorf("fixes run %v to %v; want newest (%v) first", fixes[0].Timestamp, fixes[12].Timestamp, epoch)
	}
	if f := fixes[0]; f.PlatformType != "slocum" || f.PlatformSerial != "unit_398" || f.Latitude < 48 || f.Source == "" {
		t.Errorf("fix = %+v", f)
	}

	_, err = c.Positions.List(ctx(t), c2.PositionsQuery{PlatformType: "slocum", PlatformSerial: "unit_398",
		From: from, To: epoch.Add(-time.Hour), Ascending: true, Limit: 2})
	if err != nil {
		t.Fatalf("Positions.List() = %v", err)
	}
	got = q.last("/positions/positions")
	mustContain(t, "query", got.Encode(), "time_order=ascending", "limit=2", "to=2026-03-02T08%3A00%3A00Z")
}

// "If you don't have permission to view any of the deployments or
// platforms you are interested in, you may receive an empty list."
func TestEmptyListIsNotAnError(t *testing.T) {
	e := setup(t, c2test.Options{})
	c := e.newClient(t)
	fixes, err := c.Positions.List(ctx(t), c2.PositionsQuery{PlatformType: "slocum", PlatformSerial: "no_data"})
	if err != nil || fixes == nil || len(fixes) != 0 {
		t.Errorf("Positions.List(platform without data) = %v, %v; want an empty list and no error", fixes, err)
	}
}

// "You may receive a 403 Forbidden HTTP response which will describe which
// permission(s) you are missing."
func TestForbiddenIsAPermissionError(t *testing.T) {
	e := setup(t, c2test.Options{})
	e.token = e.fake.IssueToken("slocum/*")
	c := e.newClient(t)
	e.waitRotation(t) // no 401 replay from racing the first rotation
	calls := map[string]func() error{
		"Positions.List": func() error {
			_, err := c.Positions.List(ctx(t), c2.PositionsQuery{PlatformType: "sailbuoy", PlatformSerial: "SB2016"})
			return err
		},
		"Observations.CSV": func() error {
			_, err := c.Observations.CSV(ctx(t), c2.ObservationsQuery{Variables: []string{"sea_water_temperature"},
				PlatformType: "sailbuoy", PlatformSerial: "SB2016"})
			return err
		},
		"Plans.Patch": func() error {
			_, err := c.Plans.Patch(ctx(t), 2, map[string]any{"status": "active"})
			return err
		},
	}
	for name, call := range calls {
		err := call()
		var pe *c2.PermissionError
		if !errors.As(err, &pe) {
			t.Fatalf("%s() = %v; want a *PermissionError", name, err)
		}
		if pe.Permission != "Missing permission: view platform sailbuoy/SB2016" {
			t.Errorf("%s() Permission = %q", name, pe.Permission)
		}
		if !errors.Is(err, bearer.ErrForbidden) {
			t.Errorf("%s() = %v; want it to match bearer.ErrForbidden", name, err)
		}
		mustContain(t, name+"() error", err.Error(), "permission denied", "sailbuoy/SB2016")
	}
	if got := e.fake.Stats().Requests["PATCH /planner/plans/{id}"]; got != 1 {
		t.Errorf("PATCH requests = %d; want 1: a 403 is not retried", got)
	}
}

func TestQueriesAreCheckedBeforeSending(t *testing.T) {
	e := setup(t, c2test.Options{})
	c := e.newClient(t)
	e.waitRotation(t)
	before := e.fake.Stats().Requests
	errs := []error{}
	_, err := c.Positions.List(ctx(t), c2.PositionsQuery{PlatformType: "slocum"})
	errs = append(errs, err)
	_, err = c.Positions.List(ctx(t), c2.PositionsQuery{PlatformType: "slocum", PlatformSerial: "x", Limit: -1})
	errs = append(errs, err)
	_, err = c.Observations.CSV(ctx(t), c2.ObservationsQuery{PlatformType: "slocum", PlatformSerial: "unit_398"})
	errs = append(errs, err)
	_, err = c.Observations.CSV(ctx(t), c2.ObservationsQuery{Variables: []string{""}, PlatformType: "slocum", PlatformSerial: "unit_398"})
	errs = append(errs, err)
	_, err = c.Observations.CSV(ctx(t), c2.ObservationsQuery{Variables: []string{"t"}})
	errs = append(errs, err)
	_, err = c.Plans.Patch(ctx(t), 1, nil)
	errs = append(errs, err)
	errs = append(errs, c.Logs.Post(ctx(t), nil))
	for i, err := range errs {
		if err == nil {
			t.Errorf("bad call %d = nil error", i)
		}
	}
	if after := e.fake.Stats().Requests; len(after) != len(before) || after["GET /positions/positions"] != 0 {
		t.Errorf("requests went out: %v", after)
	}
}

func TestObservationsCSV(t *testing.T) {
	var q queries
	e := setup(t, c2test.Options{ObservationRows: 5000}, q.wrap)
	c := e.newClient(t)
	body, err := c.Observations.CSV(ctx(t), c2.ObservationsQuery{
		Variables:    []string{"sea_water_temperature", "sea_water_practical_salinity"},
		PlatformType: "slocum", PlatformSerial: "unit_398"})
	if err != nil {
		t.Fatalf("Observations.CSV() = %v", err)
	}
	defer body.Close()
	sc := bufio.NewScanner(body)
	lines := 0
	for sc.Scan() {
		if lines == 0 && sc.Text() != "timestamp,platform_type,platform_serial,sea_water_temperature,sea_water_practical_salinity" {
			t.Errorf("header = %q", sc.Text())
		}
		lines++
	}
	if err := sc.Err(); err != nil || lines != 5001 {
		t.Errorf("read %d lines, %v; want a header and 5000 rows", lines, err)
	}
	got := q.last("/timeseries/observations/csv_combined_transposed")
	if v := got["variable"]; len(v) != 2 || got.Get("platform_type") != "slocum" || got.Get("platform_serial") != "unit_398" {
		t.Errorf("query = %s", got.Encode())
	}
}

// The CSV is handed over as it arrives: the caller reads its first line
// while the server has sent nothing more, which a buffered answer could
// not do.
func TestObservationsCSVStreams(t *testing.T) {
	release := make(chan struct{})
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	defer free()
	slowCSV := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !strings.HasPrefix(r.URL.Path, "/timeseries/") {
				h.ServeHTTP(w, r)
				return
			}
			w.Header().Set("Content-Type", "text/csv")
			io.WriteString(w, "timestamp,platform_type,platform_serial,t\n")
			http.NewResponseController(w).Flush()
			select {
			case <-release:
			case <-r.Context().Done():
				return
			}
			io.WriteString(w, "2026-03-02T09:00:00Z,slocum,unit_398,12.0\n")
		})
	}
	e := setup(t, c2test.Options{}, slowCSV)
	c := e.newClient(t)
	body, err := c.Observations.CSV(ctx(t), c2.ObservationsQuery{Variables: []string{"t"},
		PlatformType: "slocum", PlatformSerial: "unit_398"})
	if err != nil {
		t.Fatalf("Observations.CSV() = %v", err)
	}
	defer body.Close()
	r := bufio.NewReader(body)
	if line, err := r.ReadString('\n'); err != nil || !strings.HasPrefix(line, "timestamp,") {
		t.Fatalf("first line = %q, %v", line, err)
	}
	free()
	if rest, err := io.ReadAll(r); err != nil || !strings.HasSuffix(string(rest), "12.0\n") {
		t.Errorf("rest = %q, %v", rest, err)
	}
}

func TestPlansPatch(t *testing.T) {
	e := setup(t, c2test.Options{})
	c := e.newClient(t)
	plan, err := c.Plans.Patch(ctx(t), 2, map[string]any{"status": "active",
		"waypoints": []c2.Waypoint{{Latitude: 50.2, Longitude: -4.1}}})
	if err != nil {
		t.Fatalf("Plans.Patch() = %v", err)
	}
	if plan.ID != 2 || plan.Status != "active" || plan.Name != "Station keeping off Plymouth" ||
		len(plan.Waypoints) != 1 || plan.Waypoints[0].Longitude != -4.1 {
		t.Errorf("Plans.Patch() = %+v", plan)
	}
	if !json.Valid(plan.Raw) || !strings.Contains(string(plan.Raw), `"platform_serial":"SB2016"`) {
		t.Errorf("Plan.Raw = %s", plan.Raw)
	}
	if stored, _ := e.fake.Plan(2); stored["status"] != "active" {
		t.Errorf("stored plan status = %v; want active", stored["status"])
	}

	_, err = c.Plans.Patch(ctx(t), 99, map[string]any{"status": "active"})
	if !errors.Is(err, bearer.ErrNotFound) {
		t.Errorf("Plans.Patch(missing plan) = %v; want ErrNotFound", err)
	}
}

func TestLogsPost(t *testing.T) {
	e := setup(t, c2test.Options{})
	c := e.newClient(t)
	e.waitRotation(t) // no 401 replay from racing the first rotation
	entry := map[string]any{"level": "info", "message": "surfaced", "platform_serial": "unit_398"}
	if err := c.Logs.Post(ctx(t), entry); err != nil {
		t.Fatalf("Logs.Post() = %v", err)
	}
	logs := e.fake.Logs()
	if len(logs) != 1 || !strings.Contains(string(logs[0].Body), `"message":"surfaced"`) {
		t.Errorf("stored logs = %v", logs)
	}
}

// A log entry that reached the server is never sent again, even though
// the connection dropped before the answer: C2 holds it once.
func TestLogsPostIsNotDuplicated(t *testing.T) {
	e := setup(t, c2test.Options{})
	e.fake.InjectFault(c2test.Fault{Method: http.MethodPost, Path: "/logging/log", DropAfterApply: true, Count: 1})
	c := e.newClient(t)
	e.waitRotation(t) // no 401 replay from racing the first rotation
	err := c.Logs.Post(ctx(t), map[string]string{"message": "once"})
	var re *bearer.RequestError
	if !errors.As(err, &re) {
		t.Fatalf("Logs.Post() with the answer lost = %v; want a *bearer.RequestError", err)
	}
	if n := len(e.fake.Logs()); n != 1 {
		t.Errorf("the server holds %d entries; want exactly 1", n)
	}
	if got := e.fake.Stats().Requests["POST /logging/log"]; got != 1 {
		t.Errorf("POST requests = %d; want 1", got)
	}
}

// A GET that fails with a 503 is retried by the API client; the caller
// sees the answer.
func TestGetIsRetried(t *testing.T) {
	e := setup(t, c2test.Options{})
	e.fake.InjectFault(c2test.Fault{Method: http.MethodGet, Path: "/apf/", Status: http.StatusServiceUnavailable, Count: 1})
	c := e.newClient(t)
	e.waitRotation(t) // no 401 replay from racing the first rotation
	if _, err := c.Drivers.List(ctx(t)); err != nil {
		t.Fatalf("Drivers.List() after one 503 = %v", err)
	}
	if got := e.fake.Stats().Requests["GET /apf/drivers"]; got != 2 {
		t.Errorf("GET requests = %d; want 2", got)
	}
}

// NewRequest and Do reach any endpoint, with the same error handling.
func TestGenericDo(t *testing.T) {
	e := setup(t, c2test.Options{})
	c := e.newClient(t)
	req, err := c.NewRequest(ctx(t), http.MethodGet, "/apf/drivers", nil)
	if err != nil {
		t.Fatal(err)
	}
	var drivers []map[string]any
	if _, err := c.Do(req, &drivers); err != nil || len(drivers) != 3 {
		t.Fatalf("Do(GET /apf/drivers) = %v, %d drivers", err, len(drivers))
	}
	req, _ = c.NewRequest(ctx(t), http.MethodGet, "/no/such/api", nil)
	if _, err := c.Do(req, nil); !errors.Is(err, bearer.ErrNotFound) {
		t.Errorf("Do(GET /no/such/api) = %v; want ErrNotFound", err)
	}
}

// An API call racing the first rotation may send the old token; the 401
// is answered by replaying with the new one, so the caller never sees it.
func TestRequestsSurviveRotation(t *testing.T) {
	e := setup(t, c2test.Options{})
	c := e.newClient(t)
	for range 20 {
		if _, err := c.Drivers.List(ctx(t)); err != nil {
			t.Fatalf("Drivers.List() around the first rotation = %v", err)
		}
	}
	e.waitRotation(t)
	if _, err := c.Drivers.List(ctx(t)); err != nil {
		t.Fatalf("Drivers.List() after the rotation = %v", err)
	}
}
