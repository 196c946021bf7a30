// Package readme checks that the Go snippets of the repository's
// README.md compile, so that a snippet a user pastes works. It has no
// code of its own; everything is in its test.
package readme
