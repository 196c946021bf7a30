module github.com/bearer-go/bearer/cmd/bearer

go 1.26.0

require (
	github.com/bearer-go/bearer v0.0.0-00010101000000-000000000000
	github.com/bearer-go/bearer/tokenrefresh/redisstore v0.0.0-00010101000000-000000000000
	github.com/redis/go-redis/v9 v9.23.0
)

require (
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/golang-jwt/jwt/v5 v5.3.1 // indirect
	github.com/hashicorp/go-cleanhttp v0.5.2 // indirect
	github.com/hashicorp/go-retryablehttp v0.7.8 // indirect
	go.uber.org/atomic v1.12.0 // indirect
	golang.org/x/sys v0.48.0 // indirect
)

require (
	github.com/BurntSushi/toml v1.6.0
	go.uber.org/goleak v1.3.0
	golang.org/x/oauth2 v0.37.0
)

// While developing, both bearer modules come from this checkout. A release
// requires their tagged versions in place of the zero versions and drops
// these replaces: go install cmd@version refuses a go.mod that has any.
replace (
	github.com/bearer-go/bearer => ../..
	github.com/bearer-go/bearer/tokenrefresh/redisstore => ../../tokenrefresh/redisstore
)
