package otelobserver_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/bearer-go/bearer/tokenrefresh"
	"github.com/bearer-go/bearer/tokenrefresh/otelobserver"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var epoch = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// waitLimit bounds every wait on a goroutine, so a broken test fails
// instead of hanging; passing tests never come near it.
const waitLimit = 10 * time.Second

// sdk is the OpenTelemetry SDK with in-memory readers: a manual metric
// reader and a span recorder.
type sdk struct {
	reader *sdkmetric.ManualReader
	spans  *tracetest.SpanRecorder
	mp     *sdkmetric.MeterProvider
	tp     *sdktrace.TracerProvider
}

func newSDK(t *testing.T) *sdk {
	t.Helper()
	s := &sdk{reader: sdkmetric.NewManualReader(), spans: tracetest.NewSpanRecorder()}
	s.mp = sdkmetric.NewMeterProvider(sdkmetric.WithReader(s.reader))
	s.tp = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(s.spans))
	t.Cleanup(func() {
		s.mp.Shutdown(context.Background())
		s.tp.Shutdown(context.Background())
	})
	return s
}

// telemetry makes a Telemetry on s with the clock now.
func (s *sdk) telemetry(t *testing.T, now func() time.Time) *otelobserver.Telemetry {
	t.Helper()
	tel, err := otelobserver.New(otelobserver.Config{MeterProvider: s.mp, TracerProvider: s.tp, Now: now})
	if err != nil {
		t.Fatalf("New() = %v", err)
	}
	t.Cleanup(func() { tel.Close() })
	return tel
}

// collect returns every data point, keyed as name{k=v,...}, and every
// attribute value of every point, for secret checks.
func (s *sdk) collect(t *testing.T) (map[string]float64, []string) {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := s.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatalf("Collect() = %v", err)
	}
	points := map[string]float64{}
	var texts []string
	add := func(name string, attrs attribute.Set, v float64) {
		points[key(name, attrs)] = v
		texts = append(texts, key(name, attrs))
	}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			texts = append(texts, m.Name, m.Description, m.Unit)
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					add(m.Name, p.Attributes, float64(p.Value))
				}
			case metricdata.Gauge[int64]:
				for _, p := range d.DataPoints {
					add(m.Name, p.Attributes, float64(p.Value))
				}
			case metricdata.Gauge[float64]:
				for _, p := range d.DataPoints {
					add(m.Name, p.Attributes, p.Value)
				}
			default:
				t.Errorf("metric %s has data of type %T", m.Name, m.Data)
			}
		}
	}
	return points, texts
}

// key is name{k=v,...}, the attributes sorted.
func key(name string, attrs attribute.Set) string {
	var kv []string
	for _, a := range attrs.ToSlice() {
		kv = append(kv, fmt.Sprintf("%s=%s", a.Key, a.Value.String()))
	}
	sort.Strings(kv)
	return name + "{" + strings.Join(kv, ",") + "}"
}

// spanTexts returns everything a span exports as text: its name, status,
// attributes, events and their attributes, and its resource's.
func spanTexts(sp sdktrace.ReadOnlySpan) []string {
	texts := []string{sp.Name(), sp.Status().Description, sp.InstrumentationScope().Name}
	attrs := append([]attribute.KeyValue{}, sp.Attributes()...)
	for _, ev := range sp.Events() {
		texts = append(texts, ev.Name)
		attrs = append(attrs, ev.Attributes...)
	}
	attrs = append(attrs, sp.Resource().Attributes()...)
	for _, a := range attrs {
		texts = append(texts, string(a.Key)+"="+a.Value.String())
	}
	return texts
}

// attr returns the value of the span's attribute k, or "".
func attr(sp sdktrace.ReadOnlySpan, k attribute.Key) string {
	for _, a := range sp.Attributes() {
		if a.Key == k {
			return a.Value.String()
		}
	}
	return ""
}

// tee passes each event to o and to the returned channel.
func tee(o tokenrefresh.Observer) (tokenrefresh.Observer, chan tokenrefresh.Event) {
	ch := make(chan tokenrefresh.Event, 1000)
	return tokenrefresh.ObserverFunc(func(e tokenrefresh.Event) {
		o.Observe(e)
		ch <- e
	}), ch
}
