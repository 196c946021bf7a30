package otelobserver_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/bearer-go/bearer/tokenrefresh"
	"github.com/bearer-go/bearer/tokenrefresh/otelobserver"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"golang.org/x/oauth2"
)

// A Refresher reports its token's refreshes, failures and time to expiry
// to OpenTelemetry. Here the SDK reads them in memory; a program would
// give its own MeterProvider and TracerProvider (an OTLP or Prometheus
// exporter), or none, for the global ones.
func Example() {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	tel, err := otelobserver.New(otelobserver.Config{MeterProvider: mp, TracerProvider: tp})
	if err != nil {
		log.Fatal(err)
	}
	defer tel.Close()

	refreshed := make(chan struct{}, 1)
	r, err := tokenrefresh.New(context.Background(), tokenrefresh.Config{
		Refresh: func(ctx context.Context, _ *oauth2.Token) (*oauth2.Token, error) {
			return &oauth2.Token{AccessToken: "token-from-the-server", Expiry: time.Now().Add(time.Hour)}, nil
		},
		Observer: tel.Lineage("example-api"),
		OnRotate: func(_, _ *oauth2.Token) { refreshed <- struct{}{} }, // after the Observer
	})
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	<-refreshed

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		log.Fatal(err)
	}
	for _, m := range rm.ScopeMetrics[0].Metrics {
		switch d := m.Data.(type) {
		case metricdata.Sum[int64]:
			fmt.Printf("%s %d\n", m.Name, d.DataPoints[0].Value)
		case metricdata.Gauge[float64]:
			fmt.Printf("%s about %.0f minutes\n", m.Name, d.DataPoints[0].Value/60)
		}
	}
	sp := spans.Ended()[0]
	fmt.Println("span:", sp.Name(), sp.Status().Code, sp.Attributes()[0].Value.String())
	// Output:
	// bearer.token.refreshes 1
	// bearer.token.time_to_expiry about 60 minutes
	// span: bearer.token.refresh Ok example-api
}
