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
// format (version 0.0.4): a few gauges and counters with one or two
// labels do not need the client library and the modules it brings. The
// token's figures are those the OpenTelemetry adapter
// (tokenrefresh/otelobserver) exports, under the names its Prometheus
// exporter gives them; see the command's doc.

// sample is one value of a family for a token, with an extra label
// (name and value) when the family has one.
type sample struct {
	label, value string
	v            float64
}

// metric is one family: its name, type, help, and the samples of a token.
type metric struct {
	name, kind, help string
	samples          func(st keeper.Status, c *counters, now time.Time) []sample
}

// one is a family's only sample; none when ok is false.
func one(v float64, ok bool) []sample {
	if !ok {
		return nil
	}
	return []sample{{v: v}}
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

// gauge and counter make a family of one sample per token.
func gauge(name, help string, v func(st keeper.Status, now time.Time) (float64, bool)) metric {
	return metric{name, "gauge", help, func(st keeper.Status, _ *counters, now time.Time) []sample { return one(v(st, now)) }}
}

func counter(name, help string, v func(st keeper.Status, c *counters) float64) metric {
	return metric{name, "counter", help, func(st keeper.Status, c *counters, _ time.Time) []sample { return one(v(st, c), true) }}
}

// metrics are the per-token families, in the order they are written.
var metrics = []metric{
	gauge("bearer_token_healthy", "1 when the token is valid, its last refresh succeeded and it is stored.",
		func(st keeper.Status, _ time.Time) (float64, bool) { return boolValue(st.Healthy), true }),
	gauge("bearer_token_valid", "1 when a token can be served now.",
		func(st keeper.Status, _ time.Time) (float64, bool) { return boolValue(st.Valid), true }),
	gauge("bearer_token_lost", "1 when the token is lost for good: a person must issue a new one or sign in.",
		func(st keeper.Status, _ time.Time) (float64, bool) { return boolValue(st.Lost), true }),
	gauge("bearer_token_time_to_expiry_seconds", "How long the current token has left; negative once expired.",
		func(st keeper.Status, now time.Time) (float64, bool) {
			return st.Expiry.Sub(now).Seconds(), !st.Expiry.IsZero()
		}),
	gauge("bearer_token_expiry_timestamp_seconds", "When the current token expires, if it says.",
		func(st keeper.Status, _ time.Time) (float64, bool) { return unix(st.Expiry) }),
	gauge("bearer_token_last_refresh_timestamp_seconds", "When the current token was published.",
		func(st keeper.Status, _ time.Time) (float64, bool) { return unix(st.LastRefresh) }),
	gauge("bearer_token_next_refresh_timestamp_seconds", "When the next refresh is planned.",
		func(st keeper.Status, _ time.Time) (float64, bool) { return unix(st.NextRefresh) }),
	gauge("bearer_token_consecutive_failures", "Failed refresh attempts since the last success.",
		func(st keeper.Status, _ time.Time) (float64, bool) { return float64(st.ConsecutiveFailures), true }),
	gauge("bearer_token_store_unavailable", "1 when the token's store could not be used last time.",
		func(st keeper.Status, _ time.Time) (float64, bool) { return boolValue(st.StoreUnavailable), true }),
	counter("bearer_token_refreshes_total", "Tokens this process obtained.",
		func(st keeper.Status, _ *counters) float64 { return float64(st.Refreshes) }),
	counter("bearer_token_adoptions_total", "Tokens another process (or bearer login) saved in the store, taken up.",
		func(st keeper.Status, _ *counters) float64 { return float64(st.Adoptions) }),
	{"bearer_token_failures_total", "counter", "Failed attempts to obtain a token, by kind: permanent (a person must act), in_doubt (the server may have applied it), temporary.",
		func(st keeper.Status, _ *counters, _ time.Time) []sample {
			var out []sample
			for _, k := range keeper.FailureKinds {
				out = append(out, sample{"kind", k, float64(st.Failures[k])})
			}
			return out
		}},
	{"bearer_token_rejections_total", "counter", "Tokens the server rejected, by outcome: replaced, or limited (kept: replaced too recently).",
		func(st keeper.Status, _ *counters, _ time.Time) []sample {
			return []sample{{"outcome", "replaced", float64(st.Rejections)}, {"outcome", "limited", float64(st.RejectionsLimited)}}
		}},
	counter("bearer_token_holds_total", "Planned rotations that held callers back from the token about to be rotated (the fence).",
		func(st keeper.Status, _ *counters) float64 { return float64(st.Holds) }),
	counter("bearer_token_requests_total", "Tokens handed out by GET /v1/tokens/NAME.",
		func(_ keeper.Status, c *counters) float64 { return float64(c.tokens.Load()) }),
	counter("bearer_token_request_errors_total", "GET /v1/tokens/NAME that got no token.",
		func(_ keeper.Status, c *counters) float64 { return float64(c.tokenErrors.Load()) }),
}

// serveMetrics writes every family for every token.
func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	statuses := make(map[string]keeper.Status, len(s.names))
	for _, n := range s.names {
		statuses[n] = s.keepers[n].Status()
	}
	now := time.Now()
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	b := bufio.NewWriter(w)
	defer b.Flush()
	for _, m := range metrics {
		header(b, m.name, m.kind, m.help)
		for _, n := range s.names {
			for _, smp := range m.samples(statuses[n], s.stats[n], now) {
				labels := []string{"token", n}
				if smp.label != "" {
					labels = append(labels, smp.label, smp.value)
				}
				writeSample(b, m.name, smp.v, labels...)
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
			writeSample(b, name, float64(s.stats[n].proxied[class].Load()), "token", n, "code", label)
		}
	}
}

func header(b *bufio.Writer, name, kind, help string) {
	fmt.Fprintf(b, "# HELP %s %s\n# TYPE %s %s\n", name, escapeHelp(help), name, kind)
}

// writeSample writes one line: name{label="value",...} v.
func writeSample(b *bufio.Writer, name string, v float64, labels ...string) {
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
