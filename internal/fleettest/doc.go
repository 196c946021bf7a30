// Package fleettest runs the fleet scenarios: twenty real processes share
// one C2 token lineage through one store, against the fake C2 of package
// c2test served by the test on loopback, with a rotation interval of
// about a second. Its own tests run them through a tokenrefresh.FileStore
// file; the redisstore module's package internal/redisfleet runs them
// through a redisstore.Store key, with the Redis opener this package must
// not import (the main module does not require go-redis).
//
// The processes are the test binary itself, re-executed as children: each
// keeps the token alive with a c2.Client, calls the API every 150 ms, and
// reports its counts (never a token: token hashes only) as JSON lines on
// stdout. The scenarios count rotations, 401 answers and failed requests,
// and check that every process ends on the same live token: with a steady
// fleet ([Steady]), with the store's server restarted in the middle
// ([SurviveRestart]), and with the process that holds the lock killed in
// the middle of a rotation ([KillLockHolder]). Each logs its counts as a
// small table; run with -v to see them.
//
// Usage, in a package of scenario tests:
//
//	func TestMain(m *testing.M) {
//		fleettest.RunIfMember(openMyStore)
//		goleak.VerifyTestMain(m)
//	}
//
//	func TestFleetSharesOneLineageThroughMyStore(t *testing.T) {
//		fleettest.Scenario(t)
//		fleettest.Steady(t, "my store, 20 processes", "mystore:"+addr, 0)
//	}
package fleettest
