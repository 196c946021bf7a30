// Package c2test is a fake of the National Oceanography Centre's C2 API
// (https://api.c2.noc.ac.uk), for testing programs that use package
// [github.com/bearer-go/bearer/c2] (or any other C2 client) offline, the
// way [net/http/httptest] tests an HTTP client. A [Server] is an
// [http.Handler]; [Start] serves one on loopback for the length of a test.
// Nothing leaves the process.
//
// A test of a program that keeps a C2 token alive:
//
//	func TestPilot(t *testing.T) {
//		fake, srv := c2test.Start(t, c2test.Options{})
//		c, err := c2.Authenticate(context.Background(), srv.URL, fake.IssueToken())
//		if err != nil {
//			t.Fatal(err)
//		}
//		defer c.Close()
//		runPilot(c) // the program under test
//		if st := fake.Stats(); st.Unauthorized > 0 {
//			t.Errorf("the program sent %d requests with a dead token", st.Unauthorized)
//		}
//	}
//
// The fake serves what the C2 authentication notebook describes:
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
// with Retry-After for the next N requests, a delay, a request held until
// released, a dropped connection, or a rotation applied and then dropped
// before the answer). They assert on what clients did: [Server.Stats]
// counts requests, rotations, 401s and faults; [Server.Valid] and
// [Server.Successor] follow a token's lineage; [Server.Logs] and
// [Server.Plan] show what was posted and patched. [Options.OnRotate] and
// [Options.OnUnauthorized] report events as they happen, so a test waits
// on them instead of sleeping.
//
// The fake never logs or prints a token (its log records name route
// patterns, not paths; a Server prints as c2test.Server{REDACTED}) and
// reads at most [MaxBodyBytes] of any request body.
//
// [Options] and [Fault] are structs whose zero fields mean the defaults,
// so a field added later changes nothing for the tests already written.
package c2test
