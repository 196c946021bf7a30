package c2test_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/bearer-go/bearer/c2/c2test"
)

func TestPatchPlanMerges(t *testing.T) {
	e := setup(t, c2test.Options{})
	tok := e.fake.IssueToken()
	patch := `{"id": 99, "status": "paused", "waypoints": null, "settings": {"speed": 0.3, "depth": null}}`
	resp, body := e.call(t, http.MethodPatch, c2test.PlansPathPrefix+"1", tok, patch)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("PATCH plan 1 = %d %s; want 200", resp.StatusCode, body)
	}
	var got map[string]any
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("plan %s: %v", body, err)
	}
	_, hasWaypoints := got["waypoints"]
	settings, _ := got["settings"].(map[string]any)
	if got["id"] != 1.0 || got["status"] != "paused" || got["name"] != "Celtic Sea box survey" ||
		hasWaypoints || settings["speed"] != 0.3 || len(settings) != 1 {
		t.Errorf("merged plan = %s; want id 1, status paused, name kept, waypoints gone, settings {speed 0.3}", body)
	}
	stored, ok := e.fake.Plan(1)
	if !ok || stored["status"] != "paused" || stored["id"] != json.Number("1") {
		t.Errorf("Plan(1) = %v, %v; want the merged plan", stored, ok)
	}
}

func TestPatchPlanErrors(t *testing.T) {
	e := setup(t, c2test.Options{})
	tok := e.fake.IssueToken("slocum/*")
	tests := []struct {
		name, id, body string
		wantStatus     int
		wantType       string // of the first validation error, for 422
	}{
		{"unknown plan", "404", `{}`, http.StatusNotFound, ""},
		{"id not an integer", "abc", `{}`, http.StatusUnprocessableEntity, "int_parsing"},
		{"body not JSON", "1", `{"status":`, http.StatusUnprocessableEntity, "json_invalid"},
		{"body not an object", "1", `["paused"]`, http.StatusUnprocessableEntity, "model_attributes_type"},
		{"plan of an unseen platform", "2", `{}`, http.StatusForbidden, ""},
		{"body too large", "1", `{"x":"` + strings.Repeat("a", c2test.MaxBodyBytes) + `"}`,
			http.StatusRequestEntityTooLarge, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := e.call(t, http.MethodPatch, c2test.PlansPathPrefix+tt.id, tok, tt.body)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("PATCH plan %s = %d %.200s; want %d", tt.id, resp.StatusCode, body, tt.wantStatus)
			}
			if tt.wantType != "" {
				if errs := validations(t, body); errs[0].Type != tt.wantType {
					t.Errorf("validation type = %q; want %q", errs[0].Type, tt.wantType)
				}
			} else if detail(t, body) == "" {
				t.Errorf("detail is empty; want a reason")
			}
		})
	}
	if plan, _ := e.fake.Plan(1); plan["status"] != "active" {
		t.Errorf("plan 1 status after rejected patches = %v; want active", plan["status"])
	}
}

func TestAddPlan(t *testing.T) {
	e := setup(t, c2test.Options{})
	if err := e.fake.AddPlan(42, map[string]any{"name": "new", "id": 7}); err != nil {
		t.Fatalf("AddPlan: %v", err)
	}
	if err := e.fake.AddPlan(43, map[string]any{"bad": make(chan int)}); err == nil {
		t.Errorf("AddPlan(unencodable) = nil; want an error")
	}
	resp, body := e.call(t, http.MethodPatch, c2test.PlansPathPrefix+"42", e.fake.IssueToken(), `{"status":"draft"}`)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"id":42`) ||
		!strings.Contains(string(body), `"name":"new"`) {
		t.Errorf("PATCH added plan = %d %s; want 200 with id 42 and name new", resp.StatusCode, body)
	}
	if _, ok := e.fake.Plan(43); ok {
		t.Errorf("Plan(43) exists after a failed AddPlan")
	}
}

func TestLogStoresEveryEntry(t *testing.T) {
	e := setup(t, c2test.Options{})
	tok := e.fake.IssueToken()
	entry := `{"level": "info", "message": "surfaced", "count": 12345678901234567890}`
	for i := range 2 {
		req := e.newRequest(t, http.MethodPost, c2test.LogPath, tok, entry)
		req.Header.Set("Idempotency-Key", "k1")
		resp, body := e.send(t, req)
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("POST log %d = %d %s; want 201", i, resp.StatusCode, body)
		}
		var got map[string]json.RawMessage
		json.Unmarshal(body, &got)
		if string(got["id"]) != strconv.Itoa(i+1) || string(got["count"]) != "12345678901234567890" {
			t.Errorf("POST log %d answer = %s; want id %d and the exact count", i, body, i+1)
		}
	}
	logs := e.fake.Logs()
	if len(logs) != 2 {
		t.Fatalf("Logs() holds %d entries; want 2 (duplicates kept)", len(logs))
	}
	want := `{"level":"info","message":"surfaced","count":12345678901234567890}`
	for i, l := range logs {
		if l.ID != i+1 || string(l.Body) != want || l.IdempotencyKey != "k1" || !l.Received.Equal(start) {
			t.Errorf("Logs()[%d] = %+v; want id %d, body %s, key k1, received %v", i, l, i+1, want, start)
		}
	}
	logs[0].Body[0] = 'X'
	if e.fake.Logs()[0].Body[0] != '{' {
		t.Errorf("changing a Logs() result changed the fake's entries")
	}
}

func TestLogRejectsBadBodies(t *testing.T) {
	e := setup(t, c2test.Options{})
	tok := e.fake.IssueToken()
	for body, want := range map[string]int{
		`"just a string"`: http.StatusUnprocessableEntity,
		`{`:               http.StatusUnprocessableEntity,
		`{"m":"` + strings.Repeat("a", c2test.MaxBodyBytes) + `"}`: http.StatusRequestEntityTooLarge,
	} {
		if got := e.status(t, http.MethodPost, c2test.LogPath, tok, body); got != want {
			t.Errorf("POST log %.20q = %d; want %d", body, got, want)
		}
	}
	if n := len(e.fake.Logs()); n != 0 {
		t.Errorf("Logs() holds %d entries after bad bodies; want 0", n)
	}
}
