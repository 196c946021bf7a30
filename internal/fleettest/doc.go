// Package fleettest holds the fleet scenario tests: twenty real processes
// share one C2 token lineage, through one tokenrefresh.FileStore file or
// one redisstore.Store key, against the fake C2 of package fakec2 served
// by the test on loopback, with a rotation interval of about a second.
//
// The processes are the test binary itself, re-executed as children: each
// keeps the token alive with a c2.Client, calls the API every 150 ms, and
// reports its counts (never a token: token hashes only) as JSON lines on
// stdout. The tests count rotations, 401 answers and failed requests, and
// check that every process ends on the same live token: with a steady
// fleet, with Redis restarted in the middle, and with the process that
// holds the lock killed in the middle of a rotation. Each test logs its
// counts as a small table; run with -v to see them.
//
// Tests that need Redis skip with a message when BEARER_REDIS_ADDR is
// unset (or, for the restart, when redis-server is not on PATH).
//
// The package has no code of its own; everything is in its tests.
package fleettest
