// Package c2test is a fake of the National Oceanography Centre's C2 API
// (https://api.c2.noc.ac.uk), for tests, benchmarks and runnable demos. A
// [Server] is an [http.Handler]: start it with
// [net/http/httptest.NewServer] and point a client at the server's URL.
// Nothing leaves the process.
//
// It serves what the C2 authentication notebook describes:
//
//   - PUT /charon/tokens/{token}: Charon's token refresh. The bearer token
//     must be alive (else 401) and be the token in the path (else 403). The
//     answer is {"payload": "<new token>"}; the old token dies at once and
//     the new one keeps its permissions.
//   - GET /apf/drivers: the Automated Piloting Framework's drivers.
//   - GET /positions/positions: position fixes of one platform, a JSON
//     list, empty when none falls in range.
//   - GET /timeseries/observations/csv_combined_transposed: observations of
//     one platform as CSV, streamed, as many rows as
//     [Options.ObservationRows] asks.
//   - PATCH /planner/plans/{id}: a JSON merge patch of a plan.
//   - POST /logging/log: stores a log entry; [Server.Logs] returns them.
//
// Every endpoint needs "Authorization: Bearer <token>". Tokens come from
// [Server.IssueToken], are 32 hex characters like the real ones, and stay
// valid until [Options.TokenIdle] (an hour) after their last use; each
// request a token authenticates is a use. A token carries the platforms it
// may view: naming another platform answers 403 with the missing
// permission, as C2 does.
//
// Errors look like the real service's, which is built on FastAPI:
// {"detail": "..."} for 401, 403 and 404, and {"detail": [{"type", "loc",
// "msg", "input"}]} for 422. A 401 carries a WWW-Authenticate challenge
// (RFC 6750 section 3): error="invalid_token" when a token was sent and is
// not alive, a bare "Bearer" when none was sent.
//
// Tests steer the fake: [Options.Now] injects the clock, [Server.Revoke]
// kills a token, [Server.InjectFault] makes chosen requests fail (a status
// with Retry-After, a delay, a request held until released, a dropped
// connection, or a rotation applied and then dropped before the answer),
// and [Server.Stats] counts what clients did.
//
// The fake never logs a token (its log records name route patterns, not
// paths) and reads at most [MaxBodyBytes] of any request body.
//
// Usage:
//
//	fake := c2test.New(c2test.Options{})
//	srv := httptest.NewServer(fake)
//	defer srv.Close()
//	token := fake.IssueToken()
//	// PUT srv.URL+c2test.TokensPathPrefix+token with the bearer token
//	// answers {"payload": next}; from then on only next works.
package c2test
