package httpx

import (
	"fmt"
	"net/netip"
	"net/url"
	"strings"
)

// IsLoopbackIP reports whether host is an IP literal of this machine
// (127.0.0.0/8, ::1, or either mapped into IPv6). A name, even
// "localhost", is not: what a name reaches is known only when it is
// resolved, which [Transport] checks at connect time.
func IsLoopbackIP(host string) bool {
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// A Destination says how far a client's requests may carry credentials
// over plain http.
type Destination struct {
	// Checked says the client's transport is a [Transport] of this
	// package, which refuses at connect time any plain-http connection
	// that does not reach a loopback address; names that may be this
	// machine's are then allowed here, and checked there.
	Checked bool
	// Insecure says the user allowed plain http anywhere.
	Insecure bool
}

// Check returns nil if a request to u may carry a credential: u is https;
// or it is plain http and either the user allowed it, or the host is a
// loopback IP literal, or the transport checks the address at connect
// time and the host is a name that may be this machine's ("localhost",
// "*.localhost", RFC 6761 6.3), which the transport then resolves and
// checks. Otherwise it returns an [*InsecureURLError], before anything is
// sent. pkg prefixes the message.
func (d Destination) Check(pkg string, u *url.URL) error {
	if u.Scheme == "https" {
		return nil
	}
	host := u.Hostname()
	switch {
	case u.Scheme != "http":
		return &InsecureURLError{pkg: pkg, Scheme: u.Scheme, Host: u.Host}
	case d.Insecure || IsLoopbackIP(host) || (d.Checked && localName(host)):
		return nil
	}
	return &InsecureURLError{pkg: pkg, Scheme: u.Scheme, Host: u.Host, name: !d.Checked && localName(host)}
}

// localName reports whether host is a name reserved for this machine
// (RFC 6761 6.3). It says what a name is meant to reach, not what it
// reaches: only a connection shows that.
func localName(host string) bool {
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	return h == "localhost" || strings.HasSuffix(h, ".localhost")
}

// InsecureURLError is a request refused before anything was sent: it would
// have carried a credential over plain http (or another scheme) to an
// address that may not be this machine.
type InsecureURLError struct {
	Scheme string // the URL's scheme
	Host   string // the URL's host (and port)

	pkg  string // the prefix of the message
	name bool   // the host is a name, refused because it cannot be checked
}

// Error says why the request was refused and what to do.
func (e *InsecureURLError) Error() string {
	if e.Scheme != "http" {
		return fmt.Sprintf("%s: refusing to send credentials over %s to %s: use https", e.pkg, e.Scheme, e.Host)
	}
	if e.name {
		return fmt.Sprintf("%s: refusing to send credentials over plain http to %s: a name may resolve to any address, "+
			"and the HTTP client given cannot be checked when it connects: use https, use a loopback IP such as 127.0.0.1, "+
			"leave out the custom HTTP client, or allow insecure http explicitly on a trusted network", e.pkg, e.Host)
	}
	return fmt.Sprintf("%s: refusing to send credentials over plain http to %s: credentials go over https, or plain http to this machine only: "+
		"use https, or allow insecure http explicitly on a trusted network", e.pkg, e.Host)
}

// NotLoopbackError is a plain-http connection a [Transport] refused before
// connecting: its address is not this machine's.
type NotLoopbackError struct {
	Host string     // the host that was dialled, as named in the URL
	Addr netip.Addr // the address it resolved to
}

// Error names the address and says what to do.
func (e *NotLoopbackError) Error() string {
	if e.Host == e.Addr.String() {
		return fmt.Sprintf("refused to connect: %s is not a loopback address, and credentials go over plain http only to this machine: use https, or allow insecure http explicitly on a trusted network", e.Addr)
	}
	return fmt.Sprintf("refused to connect: %s resolved to %s, which is not a loopback address, and credentials go over plain http only to this machine: use https, or allow insecure http explicitly on a trusted network", e.Host, e.Addr)
}
