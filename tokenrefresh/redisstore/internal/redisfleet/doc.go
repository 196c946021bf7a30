// Package redisfleet runs the fleet scenarios of the main module's
// internal/fleettest through Redis: twenty real processes share one C2
// token lineage through one redisstore.Store key, steady, with Redis
// restarted in the middle, and with the lock holder killed in the middle
// of a rotation. They live here, in the redisstore module, because the
// members open a redisstore.Store and the main module must not require
// go-redis.
//
// Tests that need Redis skip with a message when BEARER_REDIS_ADDR is
// unset (or, for the restart, when redis-server is not on PATH).
//
// The package has no code of its own; everything is in its tests.
package redisfleet
