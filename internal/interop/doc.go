// Package interop tests the oauth package against ory/fosite, an OAuth 2
// server written by others. It is a module of its own so that fosite and
// its dependencies stay out of the SDK's go.mod; run it with
//
//	cd internal/interop && go test -race ./...
package interop
