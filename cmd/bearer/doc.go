// Command bearer keeps bearer tokens alive for programs written in any
// language, and serves them over a local endpoint.
//
// bearer serve keeps one or more named tokens alive, each from a source
// named in a TOML configuration file: C2's Charon rotation, the OAuth 2
// client credentials, refresh token, authorization code and device
// grants, Climate Engine, or a login API that answers tokens. Each token is kept
// in a store (a file, or Redis), so a restart resumes its lineage and
// several serve processes share it: one of them refreshes it, the others
// adopt the result. It serves, on a Unix socket or a loopback TCP port
// guarded by a key:
//
//   - GET /v1/tokens/NAME: the current token as JSON (access_token,
//     token_type, expiry, expires_in), never one about to be rotated away;
//   - /NAME/...: a reverse proxy to the token's API that adds the token,
//     replays a bodiless request once after a 401, and streams bodies;
//   - GET /healthz: 200 when every token is healthy, else 503, with each
//     token's status and the counts of its events (refreshes, adoptions,
//     failures by kind, rejections, holds); a token is lost from the
//     moment its refresh fails for good until a token is published
//     again (a bearer login);
//   - GET /metrics: the same figures in Prometheus's text format.
//
// It also writes each token, atomically and mode 0600, to the file named
// by its out key, for programs that prefer files.
//
// bearer token NAME prints a live token (from the running serve, or by
// running the source once); bearer status prints each token's health as a
// table; bearer login NAME signs a person in for an authcode source (in
// a browser) or a device source (RFC 8628: it prints an address and a
// code to enter on any device, and waits for the approval), and saves the
// token where serve takes it up; bearer revoke NAME revokes a token at
// its server.
//
// Usage:
//
//	bearer serve -config bearer.toml
//	bearer token -config bearer.toml c2
//	bearer status -config bearer.toml
//
// For one C2 token, bearer serve also takes the flags of the former
// examples/c2-keepalive:
//
//	C2_TOKEN=… bearer serve -out /run/algo/c2-token
//	bearer serve -demo    # against an in-process fake C2
//
// # Metrics
//
// /metrics carries, for each token (label token="NAME"), the figures that
// the OpenTelemetry adapter of the SDK (module
// github.com/bearer-go/bearer/tokenrefresh/otelobserver) makes from the
// same events, under the names OpenTelemetry's Prometheus exporter gives
// its instruments (dots become underscores, counters end in _total, a
// unit of seconds adds _seconds); the adapter's attribute
// bearer.token.name is the label token here, bearer.token.failure.kind
// is kind, bearer.token.rejection.outcome is outcome:
//
//	bearer_token_refreshes_total           bearer.token.refreshes          tokens obtained here
//	bearer_token_adoptions_total           bearer.token.adoptions          tokens another serve, or bearer login, saved
//	bearer_token_failures_total{kind}      bearer.token.failures           permanent, in_doubt, temporary
//	bearer_token_rejections_total{outcome} bearer.token.rejections         replaced, limited
//	bearer_token_holds_total               bearer.token.holds              rotations that held callers (the fence)
//	bearer_token_time_to_expiry_seconds    bearer.token.time_to_expiry     none for a token without expiry (C2)
//	bearer_token_lost                      bearer.token.lost               1 until a token is published again
//	bearer_token_store_unavailable         bearer.token.store.unavailable
//
// It also has what only the command knows: bearer_token_healthy,
// bearer_token_valid, the expiry and last and next refresh as Unix
// timestamps, bearer_token_consecutive_failures, the tokens handed out by
// /v1/tokens (bearer_token_requests_total, bearer_token_request_errors_total)
// and the proxied responses by status class (bearer_proxy_responses_total).
// The adapter also makes a span for each attempt to obtain a token; the
// command has no traces.
//
// Logs are structured (log/slog) on stderr, and no secret of the
// configuration or token value ever appears in them, nor in any answer
// but the token's own.
package main
