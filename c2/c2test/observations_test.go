package c2test_test

import (
	"bytes"
	"encoding/csv"
	"io"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/bearer-go/bearer/c2/c2test"
)

const observationsSlocum = c2test.ObservationsPath + "?platform_type=slocum&platform_serial=unit_398"

func TestObservationsCSV(t *testing.T) {
	e := setup(t, c2test.Options{ObservationRows: 5})
	tok := e.fake.IssueToken()
	path := observationsSlocum + "&variable=sea_water_temperature&variable=odd,name"
	resp, body := e.call(t, http.MethodGet, path, tok, "")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" {
		t.Fatalf("GET observations = %d %q; want 200 text/csv", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	records, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatalf("CSV %q: %v", body, err)
	}
	wantHeader := []string{"timestamp", "platform_type", "platform_serial", "sea_water_temperature", "odd,name"}
	if len(records) != 6 || !slices.Equal(records[0], wantHeader) {
		t.Fatalf("CSV = %q; want header %q and 5 rows", records, wantHeader)
	}
	for i, rec := range records[1:] {
		ts, err := time.Parse(time.RFC3339, rec[0])
		want := start.Add(time.Duration(i-4) * time.Minute)
		if err != nil || !ts.Equal(want) || rec[1] != "slocum" || rec[2] != "unit_398" {
			t.Errorf("row %d = %q; want timestamp %v, slocum, unit_398", i, rec, want)
		}
		temp, err := strconv.ParseFloat(rec[3], 64)
		if err != nil || temp < 9 || temp > 15 {
			t.Errorf("row %d temperature = %q; want a number from 9 to 15", i, rec[3])
		}
	}
	if _, again := e.call(t, http.MethodGet, path, tok, ""); !bytes.Equal(body, again) {
		t.Errorf("two identical requests gave different CSV")
	}
}

func TestObservationsErrors(t *testing.T) {
	e := setup(t, c2test.Options{ObservationRows: 5})
	tok := e.fake.IssueToken("sailbuoy/*")
	resp, body := e.call(t, http.MethodGet, observationsSlocum, tok, "")
	if resp.StatusCode != http.StatusUnprocessableEntity || validations(t, body)[0].Loc[1] != "variable" {
		t.Errorf("without variable = %d %s; want 422 naming variable", resp.StatusCode, body)
	}
	resp, body = e.call(t, http.MethodGet, observationsSlocum+"&variable=x", tok, "")
	if want := "Missing permission: view platform slocum/unit_398"; resp.StatusCode != http.StatusForbidden || detail(t, body) != want {
		t.Errorf("unseen platform = %d %s; want 403 %q", resp.StatusCode, body, want)
	}
	resp, body = e.call(t, http.MethodGet,
		c2test.ObservationsPath+"?platform_type=sailbuoy&platform_serial=SB1&variable=x", tok, "")
	if resp.StatusCode != http.StatusOK || string(body) != "timestamp,platform_type,platform_serial,x\n" {
		t.Errorf("platform without data = %d %q; want 200 and only the header", resp.StatusCode, body)
	}
}

// lineCounter counts the bytes and lines written to it, and keeps nothing.
type lineCounter struct{ bytes, lines int64 }

func (c *lineCounter) Write(p []byte) (int, error) {
	c.bytes += int64(len(p))
	c.lines += int64(bytes.Count(p, []byte{'\n'}))
	return len(p), nil
}

// bigRows makes a CSV of one variable over 50 MB (about 45 bytes a row).
const bigRows = 1_200_000

func TestObservationsStreamLargeBody(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 50 MB")
	}
	e := setup(t, c2test.Options{ObservationRows: bigRows})
	req := e.newRequest(t, http.MethodGet, observationsSlocum+"&variable=sea_water_temperature", e.fake.IssueToken(), "")

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatalf("GET observations: %v", err)
	}
	var c lineCounter
	_, err = io.Copy(&c, resp.Body)
	resp.Body.Close()
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatalf("reading observations: %v", err)
	}

	if c.bytes < 50<<20 || c.lines != bigRows+1 {
		t.Errorf("read %d bytes in %d lines; want over 50 MiB in %d lines", c.bytes, c.lines, bigRows+1)
	}
	if resp.ContentLength != -1 {
		t.Errorf("ContentLength = %d; want -1 (streamed, length unknown)", resp.ContentLength)
	}
	// Client and server share this process: had either held the body, the
	// allocations would exceed its size.
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("streamed %d bytes; allocated %d bytes", c.bytes, alloc)
	if alloc > 8<<20 {
		t.Errorf("serving and reading %d bytes allocated %d bytes; want under 8 MiB", c.bytes, alloc)
	}
	if got := e.fake.Stats().CSVBytes; got != c.bytes {
		t.Errorf("Stats().CSVBytes = %d; want the %d bytes read", got, c.bytes)
	}
}

func TestObservationsStopWhenClientLeaves(t *testing.T) {
	e := setup(t, c2test.Options{ObservationRows: bigRows})
	req := e.newRequest(t, http.MethodGet, observationsSlocum+"&variable=sea_water_temperature", e.fake.IssueToken(), "")
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatalf("GET observations: %v", err)
	}
	if n, err := io.CopyN(io.Discard, resp.Body, 64<<10); err != nil {
		t.Fatalf("read %d bytes: %v", n, err)
	}
	resp.Body.Close()
	e.srv.Close() // waits for the handler to return
	got := e.fake.Stats().CSVBytes
	t.Logf("the server wrote %d bytes before it noticed", got)
	if got >= 25<<20 {
		t.Errorf("Stats().CSVBytes = %d after the client left at 64 KiB; want the stream cut short", got)
	}
}
