package httpx

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
)

// hostsTransport returns a Transport whose plain-http names resolve
// through hosts, counting the lookups.
func hostsTransport(hosts map[string]string, lookups *atomic.Int64) *Transport {
	return newTransport(TransportOptions{}, func(_ context.Context, host string) ([]netip.Addr, error) {
		lookups.Add(1)
		a, ok := hosts[host]
		if !ok {
			return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
		}
		return []netip.Addr{netip.MustParseAddr(a)}, nil
	})
}

func TestTransportChecksPlainHTTPAtConnectTime(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	defer srv.Close()
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	var lookups atomic.Int64
	// 192.0.2.1 is TEST-NET-1: never routed. The check runs before any
	// connection is opened, so nothing is sent to it.
	tr := hostsTransport(map[string]string{"app.localhost": "127.0.0.1", "evil.localhost": "192.0.2.1", "localhost": "::ffff:127.0.0.1"}, &lookups)
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}

	for _, host := range []string{"app.localhost", "localhost", "127.0.0.1"} {
		resp, err := hc.Get("http://" + net.JoinHostPort(host, strconv.Itoa(port)) + "/")
		if err != nil {
			t.Errorf("GET http://%s = %v; a loopback address must be reached", host, err)
			continue
		}
		resp.Body.Close()
	}
	for _, host := range []string{"evil.localhost", "192.0.2.1"} {
		_, err := hc.Get("http://" + net.JoinHostPort(host, strconv.Itoa(port)) + "/")
		var nl *NotLoopbackError
		if !errors.As(err, &nl) || nl.Addr != netip.MustParseAddr("192.0.2.1") {
			t.Errorf("GET http://%s = %v; want a NotLoopbackError for 192.0.2.1", host, err)
		}
		if err != nil && !strings.Contains(err.Error(), "not a loopback address") {
			t.Errorf("GET http://%s = %v; want it to say why", host, err)
		}
	}
	if n := lookups.Load(); n < 3 {
		t.Errorf("names were resolved %d times; want each name resolved, not trusted", n)
	}
}

func TestTransportInsecureSkipsTheCheck(t *testing.T) {
	tr := NewTransport(TransportOptions{AllowInsecureHTTP: true})
	if tr.plain.Proxy == nil {
		t.Error("an insecure transport drops the proxy")
	}
	if tr = NewTransport(TransportOptions{}); tr.plain.Proxy != nil {
		t.Error("a checked transport sends plain http through a proxy")
	}
}

func TestDestination(t *testing.T) {
	tests := []struct {
		url  string
		dest Destination
		want string // "" for allowed, else part of the message
	}{
		{"https://api.example.com", Destination{}, ""},
		{"http://127.0.0.1:8080", Destination{}, ""},
		{"http://[::1]:8080", Destination{}, ""},
		{"http://localhost:8080", Destination{}, "a name may resolve to any address"},
		{"http://app.localhost", Destination{}, "a name may resolve to any address"},
		{"http://10.0.0.1", Destination{}, "use https"},
		{"http://localhost:8080", Destination{Checked: true}, ""},
		{"http://app.localhost.", Destination{Checked: true}, ""},
		{"http://api.example.com", Destination{Checked: true}, "over https, or plain http to this machine only"},
		{"http://10.0.0.1", Destination{Checked: true}, "use https"},
		{"http://api.example.com", Destination{Insecure: true}, ""},
		{"ftp://api.example.com", Destination{Insecure: true}, "over ftp"},
	}
	for _, tt := range tests {
		u, _ := url.Parse(tt.url)
		err := tt.dest.Check("pkg", u)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%+v.Check(%s) = %v; want allowed", tt.dest, tt.url, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "pkg: ")):
			t.Errorf("%+v.Check(%s) = %v; want an error saying %q", tt.dest, tt.url, err, tt.want)
		}
	}
}
