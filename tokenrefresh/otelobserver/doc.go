// Package otelobserver turns the events of a [tokenrefresh.Refresher]
// into OpenTelemetry metrics and spans, so that a program that keeps
// tokens alive for days can be watched: how often each token is
// refreshed, how often and how that fails, how often the server rejects
// it, how long the current one has left, and how long each token request
// took.
//
// It is a module of its own (github.com/bearer-go/bearer/tokenrefresh/otelobserver),
// so that a program that uses bearer without it does not depend on
// OpenTelemetry.
//
// One [Telemetry] holds the instruments; its [Telemetry.Lineage] gives the
// [tokenrefresh.Observer] of one token, to set as tokenrefresh.Config.Observer
// (or pass to c2.WithObserver, oauth.NewRefresher's Config, login's
// TokenConfig.Refresher):
//
//	tel, err := otelobserver.New(otelobserver.Config{})
//	obs := tel.Lineage("c2")
//	client, err := c2.New(ctx, root, token, c2.WithObserver(obs))
//
// # Metrics
//
// Every instrument carries the attribute bearer.token.name, the name the
// program gave the lineage (never a token). No semantic convention covers
// tokens, so the names are bearer.token.*:
//
//	bearer.token.refreshes          counter {refresh}   tokens this process obtained (Refreshed)
//	bearer.token.adoptions          counter {adoption}  tokens another process saved, taken up (Adopted)
//	bearer.token.failures           counter {failure}   failed attempts (Failed), by bearer.token.failure.kind:
//	                                                    permanent, in_doubt or temporary
//	bearer.token.rejections         counter {rejection} tokens the server rejected, by bearer.token.rejection.outcome:
//	                                                    replaced (Rejected) or limited (RejectionLimited)
//	bearer.token.holds              counter {hold}      planned rotations that held callers back (Held)
//	bearer.token.time_to_expiry     gauge   s           the current token's expiry less now; none while unknown
//	bearer.token.lost               gauge               1 from Lost (or a permanent failure) until a token is published
//	bearer.token.store.unavailable  gauge               1 from StoreUnavailable until StoreRecovered
//
// A failure is permanent when retrying cannot help ([tokenrefresh.IsPermanent]:
// a person must act), in doubt when the server may have applied the request
// whose answer was lost ([tokenrefresh.IsInDoubt]), and temporary otherwise.
// Exported to Prometheus (go.opentelemetry.io/otel/exporters/prometheus),
// the names become those of bearer serve's /metrics: bearer_token_refreshes_total,
// bearer_token_time_to_expiry_seconds, and so on.
//
// # Spans
//
// Each attempt to obtain a token becomes a span named bearer.token.refresh,
// of kind client, made after the fact from the event's Start and Duration
// (on the Refresher's clock): its status is Ok, or Error with the
// Refresher's message, which has every token value it knows removed. A
// failed attempt also carries error.type (the OpenTelemetry semantic
// convention), bearer.token.failure.kind and bearer.token.failures, the
// failures in a row. error.type is low in cardinality and never comes from
// free text: an RFC 6749 or RFC 8628 error code (invalid_grant, slow_down,
// ...), else the HTTP status ("503"), else timeout, no_response,
// lineage_lost, or _OTHER. No attribute holds a token, a secret, or text
// a server wrote.
//
// The time to expiry of the token a Refresher starts with (from its store
// or Config.Initial) comes from no event: call [Lineage.Started] with the
// Refresher's Status once it is made, or the gauge reports the lineage
// from its first refresh on.
package otelobserver
