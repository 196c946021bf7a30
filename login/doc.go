// Package login keeps a program logged in to APIs that are not OAuth
// servers.
package login
