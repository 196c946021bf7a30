package otelobserver

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/bearer-go/bearer/tokenrefresh"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// ScopeName names the instrumentation scope of the meter and the tracer.
const ScopeName = "github.com/bearer-go/bearer/tokenrefresh/otelobserver"

// The attribute keys of the instruments and spans.
const (
	// NameKey is the name the program gave the lineage, such as "c2".
	NameKey = attribute.Key("bearer.token.name")
	// FailureKindKey is permanent, in_doubt or temporary.
	FailureKindKey = attribute.Key("bearer.token.failure.kind")
	// RejectionOutcomeKey is replaced or limited.
	RejectionOutcomeKey = attribute.Key("bearer.token.rejection.outcome")
	// FailuresKey counts a span's failed attempts in a row, its own
	// included.
	FailuresKey = attribute.Key("bearer.token.failures")
)

// The values of [FailureKindKey] and [RejectionOutcomeKey].
const (
	Permanent = string(tokenrefresh.FailurePermanent)
	InDoubt   = string(tokenrefresh.FailureInDoubt)
	Temporary = string(tokenrefresh.FailureTemporary)
	Replaced  = "replaced"
	Limited   = "limited"
)

// SpanName is the name of the span of each attempt to obtain a token.
const SpanName = "bearer.token.refresh"

// Config says where the telemetry goes. The zero value uses the global
// providers and the system clock.
type Config struct {
	// MeterProvider makes the instruments. Optional: nil means
	// otel.GetMeterProvider().
	MeterProvider metric.MeterProvider

	// TracerProvider makes the spans. Optional: nil means
	// otel.GetTracerProvider().
	TracerProvider trace.TracerProvider

	// Now is the clock the time to expiry is counted on: the Refresher's
	// (tokenrefresh.Config.Clock). Optional: nil means time.Now.
	Now func() time.Time
}

// Telemetry holds the instruments that the Observers of every lineage
// share. Create it with [New]; it is safe for concurrent use. Close it to
// stop reporting the gauges.
type Telemetry struct {
	now    func() time.Time
	tracer trace.Tracer
	reg    metric.Registration

	refreshes, adoptions, failures, rejections, holds metric.Int64Counter
	timeToExpiry                                      metric.Float64ObservableGauge
	lost, storeDown                                   metric.Int64ObservableGauge

	mu       sync.Mutex          // guards lineages and the state of each
	lineages map[string]*Lineage // by name
}

// New makes the instruments from cfg's providers.
func New(cfg Config) (*Telemetry, error) {
	mp, tp := cfg.MeterProvider, cfg.TracerProvider
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	t := &Telemetry{now: cfg.Now, tracer: tp.Tracer(ScopeName), lineages: map[string]*Lineage{}}
	if t.now == nil {
		t.now = time.Now
	}
	if err := t.instruments(mp.Meter(ScopeName)); err != nil {
		return nil, err
	}
	return t, nil
}

// instruments makes the counters and gauges, and registers the gauges'
// callback. The gauges of states (lost, store unavailable) have no unit:
// OpenTelemetry's Prometheus exporter would add _ratio to the names of
// a unit "1".
func (t *Telemetry) instruments(m metric.Meter) error {
	var errs []error
	counter := func(name, unit, desc string) metric.Int64Counter {
		c, err := m.Int64Counter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		errs = append(errs, err)
		return c
	}
	state := func(name, desc string) metric.Int64ObservableGauge {
		g, err := m.Int64ObservableGauge(name, metric.WithDescription(desc))
		errs = append(errs, err)
		return g
	}
	t.refreshes = counter("bearer.token.refreshes", "{refresh}", "Tokens this process obtained.")
	t.adoptions = counter("bearer.token.adoptions", "{adoption}", "Tokens another process saved in the shared store, taken up.")
	t.failures = counter("bearer.token.failures", "{failure}", "Failed attempts to obtain a token, by kind: permanent, in_doubt, temporary.")
	t.rejections = counter("bearer.token.rejections", "{rejection}", "Tokens the server rejected, by outcome: replaced, or limited (kept).")
	t.holds = counter("bearer.token.holds", "{hold}", "Planned rotations that held callers back from the token about to be rotated.")
	t.lost = state("bearer.token.lost", "1 when the token is lost for good: a person must issue a new one or sign in.")
	t.storeDown = state("bearer.token.store.unavailable", "1 when the token's store could not be used last time.")
	var err error
	t.timeToExpiry, err = m.Float64ObservableGauge("bearer.token.time_to_expiry", metric.WithUnit("s"),
		metric.WithDescription("How long the current token has left; negative once expired."))
	if err := errors.Join(append(errs, err)...); err != nil {
		return fmt.Errorf("otelobserver: make the instruments: %w", err)
	}
	t.reg, err = m.RegisterCallback(t.observeGauges, t.timeToExpiry, t.lost, t.storeDown)
	if err != nil {
		return fmt.Errorf("otelobserver: register the gauges: %w", err)
	}
	return nil
}

// observeGauges reports the gauges of every lineage.
func (t *Telemetry) observeGauges(_ context.Context, o metric.Observer) error {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, l := range t.lineages {
		if !l.expiry.IsZero() {
			o.ObserveFloat64(t.timeToExpiry, l.expiry.Sub(now).Seconds(), l.attrs)
		}
		o.ObserveInt64(t.lost, flag(l.lost), l.attrs)
		o.ObserveInt64(t.storeDown, flag(l.storeDown), l.attrs)
	}
	return nil
}

func flag(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// Close stops reporting the gauges. The counters and spans of Observers
// still in use go on. Close is idempotent.
func (t *Telemetry) Close() error {
	t.mu.Lock()
	reg := t.reg
	t.reg = nil
	t.mu.Unlock()
	if reg == nil {
		return nil
	}
	return reg.Unregister()
}

// Lineage returns the Observer of the token named name, made on first
// use; the same name gives the same Lineage. name goes into every
// attribute set, so it must name the token ("c2", "climate-engine"),
// never hold one.
func (t *Telemetry) Lineage(name string) *Lineage {
	t.mu.Lock()
	defer t.mu.Unlock()
	if l, ok := t.lineages[name]; ok {
		return l
	}
	l := newLineage(t, name)
	t.lineages[name] = l
	return l
}

// A Lineage is the [tokenrefresh.Observer] of one token: set it as the
// Refresher's Config.Observer. It is safe for concurrent use, and Observe
// never blocks on I/O.
type Lineage struct {
	t     *Telemetry
	name  string
	attrs metric.MeasurementOption
	// the attribute sets of the counters, made once
	failureKind       map[string]metric.AddOption
	replaced, limited metric.AddOption

	// The state of the gauges, guarded by t.mu.
	expiry    time.Time
	expirySet bool // an event or Started gave the expiry
	lost      bool
	storeDown bool
}

func newLineage(t *Telemetry, name string) *Lineage {
	n := NameKey.String(name)
	l := &Lineage{t: t, name: name, attrs: metric.WithAttributeSet(attribute.NewSet(n)), failureKind: map[string]metric.AddOption{}}
	for _, k := range []string{Permanent, InDoubt, Temporary} {
		l.failureKind[k] = metric.WithAttributeSet(attribute.NewSet(n, FailureKindKey.String(k)))
	}
	l.replaced = metric.WithAttributeSet(attribute.NewSet(n, RejectionOutcomeKey.String(Replaced)))
	l.limited = metric.WithAttributeSet(attribute.NewSet(n, RejectionOutcomeKey.String(Limited)))
	return l
}

// Started records what the Refresher started from, for which no event
// comes: call it with r.Status() once tokenrefresh.New (or c2.New, or
// oauth.NewRefresher) has returned. It sets the time to expiry unless an
// event already did.
func (l *Lineage) Started(st tokenrefresh.Status) {
	l.t.mu.Lock()
	defer l.t.mu.Unlock()
	if !l.expirySet {
		l.expiry, l.expirySet = st.Expiry, true
	}
	l.storeDown = l.storeDown || st.StoreUnavailable
}

// Close stops reporting the gauges of the lineage: call it when its
// Refresher is closed for good. A later [Telemetry.Lineage] of the name
// starts afresh.
func (l *Lineage) Close() {
	l.t.mu.Lock()
	defer l.t.mu.Unlock()
	if l.t.lineages[l.name] == l {
		delete(l.t.lineages, l.name)
	}
}

// Observe records e.
func (l *Lineage) Observe(e tokenrefresh.Event) {
	ctx := context.Background()
	t := l.t
	switch e.Kind {
	case tokenrefresh.Refreshed:
		t.refreshes.Add(ctx, 1, l.attrs)
		l.published(e.Expiry)
		l.span(e)
	case tokenrefresh.Adopted:
		if e.Retry.IsZero() { // with Retry, only a plan was adopted
			t.adoptions.Add(ctx, 1, l.attrs)
		}
		l.published(e.Expiry)
	case tokenrefresh.Failed:
		kind := failureKind(e.Err)
		t.failures.Add(ctx, 1, l.failureKind[kind])
		if kind == Permanent {
			// Lost comes once per Refresher: a permanent failure after
			// a token was adopted since is a loss all the same.
			l.set(func() { l.lost = true })
		}
		l.span(e)
	case tokenrefresh.Lost:
		l.set(func() { l.lost = true })
	case tokenrefresh.StoreUnavailable:
		l.set(func() { l.storeDown = true })
	case tokenrefresh.StoreRecovered:
		l.set(func() { l.storeDown = false })
	case tokenrefresh.Held:
		t.holds.Add(ctx, 1, l.attrs)
	case tokenrefresh.Rejected:
		t.rejections.Add(ctx, 1, l.replaced)
	case tokenrefresh.RejectionLimited:
		t.rejections.Add(ctx, 1, l.limited)
	}
}

// published records a token published with expiry: the lineage is alive.
func (l *Lineage) published(expiry time.Time) {
	l.set(func() { l.expiry, l.expirySet, l.lost = expiry, true, false })
}

// set changes the gauges' state under the lock.
func (l *Lineage) set(f func()) {
	l.t.mu.Lock()
	defer l.t.mu.Unlock()
	f()
}

// span records the attempt e timed, after the fact.
func (l *Lineage) span(e tokenrefresh.Event) {
	if e.Start.IsZero() {
		return // not an attempt this process timed
	}
	attrs := []attribute.KeyValue{NameKey.String(l.name)}
	if e.Kind == tokenrefresh.Failed {
		attrs = append(attrs, semconv.ErrorTypeKey.String(errorType(e.Err)),
			FailureKindKey.String(failureKind(e.Err)), FailuresKey.Int(e.Failures))
	}
	_, sp := l.t.tracer.Start(context.Background(), SpanName, trace.WithTimestamp(e.Start),
		trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
	if e.Kind == tokenrefresh.Failed {
		sp.SetStatus(codes.Error, redactedText(e.Err))
	} else {
		sp.SetStatus(codes.Ok, "")
	}
	sp.End(trace.WithTimestamp(e.Start.Add(e.Duration)))
}

// redactedText is the message of an event's error, which the Refresher
// made with every token value it knows removed.
func redactedText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// failureKind classifies a failed attempt's error.
func failureKind(err error) string { return string(tokenrefresh.FailureKindOf(err)) }
