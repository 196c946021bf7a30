package server

import (
	"errors"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"

	"github.com/bearer-go/bearer"
	"github.com/bearer-go/bearer/cmd/bearer/internal/keeper"
	"github.com/bearer-go/bearer/internal/httpx"
)

// counters are what the server counts per token, for /metrics.
type counters struct {
	tokens      atomic.Int64 // tokens handed out by GET /v1/tokens
	tokenErrors atomic.Int64 // GET /v1/tokens that got no token
	// proxied counts proxied responses by status class: index 1 to 5 for
	// 1xx to 5xx, 0 for requests that got no response.
	proxied [6]atomic.Int64
}

// newProxy returns the reverse proxy to k's upstream. It authorizes each
// request through a bearer.Transport with k as the source, so a 401 is
// replayed once with a new token when the request has no body (a body is
// streamed, not buffered, so it cannot be sent twice); it streams bodies
// both ways; and it never forwards the caller's Authorization, Cookie-free
// credentials or the key.
func (s *Server) newProxy(k *keeper.Keeper) http.Handler {
	// The SDK's one transport: plain http to the upstream only when the
	// connection reaches this machine, checked when it connects.
	base := httpx.NewTransport(httpx.TransportOptions{})
	target := k.Upstream()
	st := s.stats[k.Name()]
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			rewrite(pr, target)
		},
		Transport:     &bearer.Transport{Source: k, Base: base, Logger: s.log.With("token", k.Name())},
		FlushInterval: -1, // stream: send each chunk as it comes
		ModifyResponse: func(resp *http.Response) error {
			st.proxied[min(resp.StatusCode/100, 5)].Add(1)
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			st.proxied[0].Add(1)
			s.proxyError(w, r, k, err)
		},
	}
}

// rewrite points pr at target: the path after /NAME is appended to the
// target's path, the query kept. The caller's own credentials (its
// Authorization header, the key) are dropped: the Transport adds the
// token.
func rewrite(pr *httputil.ProxyRequest, target *url.URL) {
	rest := "/" + pr.In.PathValue("rest")
	out := pr.Out
	out.URL.Scheme, out.URL.Host = target.Scheme, target.Host
	out.URL.Path = strings.TrimSuffix(target.Path, "/") + rest
	out.URL.RawPath = ""
	if raw := pr.In.URL.RawPath; raw != "" {
		// Keep the caller's escaping (such as %2F) by rebuilding from it.
		name := "/" + pr.In.PathValue("name")
		out.URL.RawPath = strings.TrimSuffix(target.EscapedPath(), "/") + strings.TrimPrefix(raw, name)
	}
	out.Host = ""
	out.Header.Del("Authorization")
	out.Header.Del(KeyHeader)
	out.Header.Del("Proxy-Authorization")
}

// serveProxy forwards a request under /NAME/ to NAME's upstream.
func (s *Server) serveProxy(w http.ResponseWriter, r *http.Request) {
	k, ok := s.keeper(w, r)
	if !ok {
		return
	}
	p, ok := s.proxies[k.Name()]
	if !ok {
		writeError(w, http.StatusNotFound, "no_upstream", "the token "+k.Name()+" has no upstream: set upstream in its [tokens."+k.Name()+"] section")
		return
	}
	if k.Denied("/" + r.PathValue("rest")) {
		writeError(w, http.StatusForbidden, "denied", "bearer serve keeps this token alive itself: it does not forward requests that would replace it")
		return
	}
	p.ServeHTTP(w, r)
}

// proxyError answers a request that got no response from upstream: 503
// when no token could be had, 504 on a timeout, else 502.
func (s *Server) proxyError(w http.ResponseWriter, r *http.Request, k *keeper.Keeper, err error) {
	var te *bearer.TokenError
	code, kind := http.StatusBadGateway, "upstream_unreachable"
	switch {
	case errors.As(err, &te):
		code, kind = http.StatusServiceUnavailable, "no_token"
	case errors.Is(err, http.ErrHandlerTimeout), isTimeout(err):
		code, kind = http.StatusGatewayTimeout, "upstream_timeout"
	case r.Context().Err() != nil:
		return // the caller went away
	}
	msg := k.Redact(err.Error())
	s.log.Warn("proxy: no answer from upstream", "token", k.Name(), "method", r.Method, "status", code, "error", msg)
	writeError(w, code, kind, msg)
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}
