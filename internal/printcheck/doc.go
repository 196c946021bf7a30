// Package printcheck holds the print-canary matrix: a test that every
// public type of the SDK that can hold a secret prints none of it, under
// every fmt verb, slog's text and JSON handlers and json.Marshal, and (for
// configurations) from inside an unexported field of a caller's struct.
// It finds those types itself, by reading the SDK's source, so a new one
// joins the matrix or the test fails.
package printcheck
