package server

import (
	"bufio"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/bearer-go/bearer/cmd/bearer/internal/keeper"
)

// The metrics are written by hand in the Prometheus text exposition
// format (version 0.0.4): a dozen gauges and counters with one or two
// labels do not need the client library and the modules it brings.

// metric is one family: its name, type, help, and a value per token.
type metric struct {
	name, kind, help string
	value            func(st keeper.Status, c *counters) (float64, bool)
}

// boolValue is 1 for true.
func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// unix is t in seconds since the epoch; false for the zero time.
func unix(t time.Time) (float64, bool) {
	if t.IsZero() {
		return 0, false
	}
	return float64(t.UnixNano()) / 1e9, true
}

// metrics are the per-token families, in the order they are written.
var metrics = []metric{
	{"bearer_token_healthy", "gauge", "1 when the token is valid, its last refresh succeeded and it is stored.",
		func(st keeper.Status, _ *counters) (float64, bool) {
			return boolValue(st.Healthy), true
		}},
	{"bearer_token_valid", "gauge", "1 when a token can be served now.",
		func(st keeper.Status, _ *counters) (float64, bool) {
			return boolValue(st.Valid), true
		}},
	{"bearer_token_lost", "gauge", "1 when the token is lost for good: a person must issue a new one or log in.",
		func(st keeper.Status, _ *counters) (float64, bool) { return boolValue(st.Lost), true }},
	{"bearer_token_expiry_timestamp_seconds", "gauge", "When the current token expires, if it says.",
		func(st keeper.Status, _ *counters) (float64, bool) { return unix(st.Expiry) }},
	{"bearer_token_last_refresh_timestamp_seconds", "gauge", "When the current token was published.",
		func(st keeper.Status, _ *counters) (float64, bool) { return unix(st.LastRefresh) }},
	{"bearer_token_next_refresh_timestamp_seconds", "gauge", "When the next refresh is planned.",
		func(st keeper.Status, _ *counters) (float64, bool) { return unix(st.NextRefresh) }},
	{"bearer_token_consecutive_failures", "gauge", "Failed refresh attempts since the last success.",
		func(st keeper.Status, _ *counters) (float64, bool) {
			return float64(st.ConsecutiveFailures), true
		}},
	{"bearer_token_store_unavailable", "gauge", "1 when the token's store could not be used last time.",
		func(st keeper.Status, _ *counters) (float64, bool) {
			return boolValue(st.StoreUnavailable), true
		}},
	{"bearer_token_refreshes_total", "counter", "New tokens published since serve started, refreshed here or adopted from the store.",
		func(st keeper.Status, _ *counters) (float64, bool) {
			return float64(st.Refreshes), true
		}},
	{"bearer_token_requests_total", "counter", "Tokens handed out by GET /v1/tokens/NAME.",
		func(_ keeper.Status, c *counters) (float64, bool) {
			return float64(c.tokens.Load()), true
		}},
	{"bearer_token_request_errors_total", "counter", "GET /v1/tokens/NAME that got no token.",
		func(_ keeper.Status, c *counters) (float64, bool) {
			return float64(c.tokenErrors.Load()), true
		}},
}

// serveMetrics writes every family for every token.
func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	statuses := make(map[string]keeper.Status, len(s.names))
	for _, n := range s.names {
		statuses[n] = s.keepers[n].Status()
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	b := bufio.NewWriter(w)
	defer b.Flush()
	for _, m := range metrics {
		header(b, m.name, m.kind, m.help)
		for _, n := range s.names {
			if v, ok := m.value(statuses[n], s.stats[n]); ok {
				sample(b, m.name, v, "token", n)
			}
		}
	}
	s.writeProxyMetrics(b)
}

// writeProxyMetrics writes the proxied responses by token and class.
func (s *Server) writeProxyMetrics(b *bufio.Writer) {
	const name = "bearer_proxy_responses_total"
	header(b, name, "counter", `Proxied requests by the class of the upstream's status ("none": no response).`)
	for _, n := range s.names {
		if _, ok := s.proxies[n]; !ok {
			continue
		}
		for class := range 6 {
			label := "none"
			if class > 0 {
				label = strconv.Itoa(class) + "xx"
			}
			sample(b, name, float64(s.stats[n].proxied[class].Load()), "token", n, "code", label)
		}
	}
}

func header(b *bufio.Writer, name, kind, help string) {
	fmt.Fprintf(b, "# HELP %s %s\n# TYPE %s %s\n", name, escapeHelp(help), name, kind)
}

// sample writes one line: name{label="value",...} v.
func sample(b *bufio.Writer, name string, v float64, labels ...string) {
	b.WriteString(name)
	b.WriteByte('{')
	for i := 0; i+1 < len(labels); i += 2 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(b, "%s=\"%s\"", labels[i], escapeLabel(labels[i+1]))
	}
	b.WriteString("} ")
	b.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
	b.WriteByte('\n')
}

// escapeLabel escapes a label value as the text format requires: \\, \"
// and \n.
func escapeLabel(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}

// escapeHelp escapes help text: \\ and \n.
func escapeHelp(s string) string {
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`).Replace(s)
}
