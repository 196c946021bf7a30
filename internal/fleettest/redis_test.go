package fleettest_test

// redisEnv returns the children's environment entries for a redisstore
// at addr under key.
func redisEnv(addr, key string) []string {
	return []string{envRedisAddr + "=" + addr, envRedisKey + "=" + key}
}
