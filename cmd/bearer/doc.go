// Command bearer keeps bearer tokens alive for programs written in any
// language, and serves them over a local endpoint.
//
// bearer serve keeps one or more named tokens alive, each from a source
// named in a TOML configuration file: C2's Charon rotation, the OAuth 2
// client credentials, refresh token and authorization code grants,
// Climate Engine, or a login API that answers tokens. Each token is kept
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
//     token's status;
//   - GET /metrics: the same figures in Prometheus's text format.
//
// It also writes each token, atomically and mode 0600, to the file named
// by its out key, for programs that prefer files.
//
// bearer token NAME prints a live token (from the running serve, or by
// running the source once); bearer status prints each token's health as a
// table; bearer login NAME signs a person in for an authcode source;
// bearer revoke NAME revokes a token at its server.
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
// Logs are structured (log/slog) on stderr, and no secret of the
// configuration or token value ever appears in them, nor in any answer
// but the token's own.
package main
