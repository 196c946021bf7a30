module github.com/bearer-go/bearer/tokenrefresh/redisstore

go 1.26.0

// While developing, the root module is this checkout's. A release tags the
// root module first (vX.Y.Z), requires that version here in place of the
// zero version, and then tags this module tokenrefresh/redisstore/vX.Y.Z.
// Users never see this replace: only a main module's replaces apply.
replace github.com/bearer-go/bearer => ../..

require (
	github.com/bearer-go/bearer v0.0.0-00010101000000-000000000000
	github.com/redis/go-redis/v9 v9.23.0
	go.uber.org/goleak v1.3.0
	golang.org/x/oauth2 v0.37.0
)

require (
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/golang-jwt/jwt/v5 v5.3.1 // indirect
	github.com/hashicorp/go-cleanhttp v0.5.2 // indirect
	github.com/hashicorp/go-retryablehttp v0.7.8 // indirect
	go.uber.org/atomic v1.12.0 // indirect
	golang.org/x/sys v0.48.0 // indirect
)
