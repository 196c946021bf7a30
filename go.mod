module github.com/bearer-go/bearer

go 1.26.0

require (
	github.com/golang-jwt/jwt/v5 v5.3.1
	golang.org/x/oauth2 v0.37.0
)

require (
	github.com/hashicorp/go-retryablehttp v0.7.8
	go.uber.org/goleak v1.3.0
	golang.org/x/sys v0.48.0
)

require github.com/hashicorp/go-cleanhttp v0.5.2 // indirect
