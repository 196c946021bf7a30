// Package c2 calls the C2 APIs of the National Oceanography Centre
// (https://api.c2.noc.ac.uk), the command and control of its ocean robots,
// and keeps their Charon token alive for as long as the program runs.
//
// A C2 token dies an hour after its last use, and rotating it (PUT
// /charon/tokens/{token}, with the same token as bearer) kills it and
// answers its successor. A [Client] rotates the token in the background,
// every 55 minutes by default, with the current token serving every
// request meanwhile; it writes each new token to a store before using it,
// so a restarted program resumes the lineage; and it is the C2
// notebooks' refresh thread with its bugs fixed:
//
//   - every retry goes to /charon/tokens/{token} (the notebooks' retried
//     /tokens/, which does not exist);
//   - the retry count starts afresh after each success, and a rotation
//     that keeps failing is retried with growing waits (see [WithRetry])
//     instead of being abandoned until the next tick;
//   - [Client.Close] stops at once (waiting only for the answer to a
//     rotation already sent, which holds the only copy of the new token);
//   - with [WithStoreFile], a restart keeps the rotated token.
//
// Several processes or machines can share one token through a shared store
// ([WithStore] with a tokenrefresh.FileStore or a redisstore.Store): one of
// them rotates it each interval, the others adopt it. Add [WithFence] and
// no request of any of them carries a token Charon has just killed: they
// hold their requests together for the rotation, at most twice the fence.
//
// A 401 from Charon is final: the error matches [ErrTokenRejected] and
// says where to issue a new token. A rotation whose answer was lost after
// it reached Charon (the connection dropped or timed out, Charon answered
// 5xx, or its answer held no token) may have killed the token: the client
// remembers the doubt (in its store too), and if Charon then rejects the
// token, the error is [ErrRotationLost], reported once and never retried
// in a loop. [Client.Close] during a rotation waits (5 s at most) for its
// answer and stores the new token. [Client.Status] tells whether
// the token is alive, without ever showing it; no error or log line of this
// package holds a token.
//
// Each C2 API is a service of the Client: [DriversService],
// [PositionsService], [ObservationsService] (CSV streamed, never buffered
// whole), [PlansService] and [LogsService] (a log entry is never sent
// twice). [Client.NewRequest] and [Client.Do] reach any other endpoint. A
// 403 is a [*PermissionError] naming the missing permission; an empty list
// is not an error.
//
// Usage:
//
//	c, err := c2.Authenticate(ctx, c2.ProductionAPIRoot, token,
//		c2.WithStoreFile("/var/lib/myalgo/c2-token.json"))
//	if err != nil {
//		log.Fatal(err) // a revoked token says where to issue a new one
//	}
//	defer c.Close()
//	drivers, err := c.Drivers.List(ctx)
//	...
//	fixes, err := c.Positions.List(ctx, c2.PositionsQuery{
//		PlatformType: "slocum", PlatformSerial: "unit_398",
//		From: time.Now().Add(-6 * time.Hour),
//	})
//	var perm *c2.PermissionError
//	if errors.As(err, &perm) {
//		log.Printf("ask the C2 team for: %s", perm.Permission)
//	}
//
// Programs in other languages can have the bearer command (cmd/bearer)
// keep a token alive for them: bearer serve serves it on a local endpoint,
// through an authenticating proxy, and in a file.
package c2
