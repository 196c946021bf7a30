package c2test_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/bearer-go/bearer/c2/c2test"
)

func FuzzPatchPlanBody(f *testing.F) {
	for _, seed := range []string{`{}`, `{"status":"paused","waypoints":null}`, `{"a":{"b":{"c":null}}}`,
		`[1]`, `{"x":`, `null`, `{"id":"7","n":1e400}`} {
		f.Add(seed)
	}
	fake := c2test.New(c2test.Options{})
	tok := fake.IssueToken()
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest(http.MethodPatch, c2test.PlansPathPrefix+"1", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		fake.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK, http.StatusUnprocessableEntity, http.StatusRequestEntityTooLarge:
		default:
			t.Errorf("PATCH plan with body %q = %d %s; want 200, 413 or 422", body, rec.Code, rec.Body)
		}
		if _, ok := fake.Plan(1); !ok {
			t.Fatalf("plan 1 vanished after PATCH with body %q", body)
		}
	})
}

func FuzzPositionsQuery(f *testing.F) {
	for _, seed := range []string{"platform_type=slocum&platform_serial=unit_398",
		"platform_type=slocum&platform_serial=unit_398&from=2024-05-01&time_order=ascending&limit=3",
		"platform_type=a%2Fb&platform_serial=*", "from=x&to=y&limit=-1", "%zz"} {
		f.Add(seed)
	}
	fake := c2test.New(c2test.Options{})
	tok := fake.IssueToken("slocum/unit_398")
	f.Fuzz(func(t *testing.T, query string) {
		req := httptest.NewRequest(http.MethodGet, c2test.PositionsPath, nil)
		req.URL.RawQuery = query
		req.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		fake.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK, http.StatusForbidden, http.StatusUnprocessableEntity:
		default:
			t.Errorf("GET positions?%s = %d %s; want 200, 403 or 422", query, rec.Code, rec.Body)
		}
	})
}
