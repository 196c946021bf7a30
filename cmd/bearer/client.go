package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/bearer-go/bearer/cmd/bearer/internal/config"
	"github.com/bearer-go/bearer/cmd/bearer/internal/server"
)

// askTimeout bounds a question to a running serve: it answers from
// memory, or within its own 30 s token wait.
const askTimeout = 40 * time.Second

// maxAnswer bounds what is read from serve: a token or a health report.
const maxAnswer = 1 << 20

// endpointFlags say where a running serve listens, overriding the
// configuration's [server].
type endpointFlags struct {
	socket, listen, keyFile string
}

func (f *endpointFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.socket, "socket", "", "the Unix socket of the running serve (default: [server] socket)")
	fs.StringVar(&f.listen, "listen", "", "the TCP address of the running serve (default: [server] listen)")
	fs.StringVar(&f.keyFile, "key-file", "", "the key file of -listen (default: [server] key_file)")
}

// set reports whether any endpoint flag was given.
func (f *endpointFlags) set() bool { return f.socket != "" || f.listen != "" }

// serveClient talks to a running serve.
type serveClient struct {
	hc    *http.Client
	base  string
	key   string
	where string // for messages: unix:PATH or ADDR
}

// newServeClient reaches the serve s describes: its socket if it has one
// (the socket's permissions let us in), else its TCP address with the key.
func newServeClient(s config.Server) (*serveClient, error) {
	c := &serveClient{hc: &http.Client{Timeout: askTimeout}}
	switch {
	case s.Socket != "":
		path := s.Socket
		c.hc.Transport = &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		}}
		c.base, c.where = "http://bearer", "unix:"+path
	case s.Listen != "":
		c.base, c.where = "http://"+s.Listen, s.Listen
		c.hc.Transport = &http.Transport{}
		data, err := os.ReadFile(s.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("read the key file of %s: %w", s.Listen, err)
		}
		c.key = strings.TrimSpace(string(data))
	default:
		return nil, errNotServing
	}
	return c, nil
}

// errNotServing says no serve can be asked: none is configured, or none
// answers.
var errNotServing = errors.New("no bearer serve to ask")

// get asks serve for path and decodes its JSON answer into v. A serve
// that does not answer gives errNotServing; an answer with another status
// than want gives its error description.
func (c *serveClient) get(ctx context.Context, path string, v any, want ...int) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return 0, err
	}
	if c.key != "" {
		req.Header.Set(server.KeyHeader, c.key)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENOENT) {
			return 0, fmt.Errorf("%w at %s", errNotServing, c.where)
		}
		return 0, fmt.Errorf("ask the serve at %s: %w", c.where, err)
	}
	defer resp.Body.Close()
	body := io.LimitReader(resp.Body, maxAnswer)
	for _, w := range append(want, http.StatusOK) {
		if resp.StatusCode == w {
			return resp.StatusCode, json.NewDecoder(body).Decode(v)
		}
	}
	var e struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	json.NewDecoder(body).Decode(&e)
	return resp.StatusCode, fmt.Errorf("the serve at %s answered %d: %s", c.where, resp.StatusCode, e.Description)
}

// close releases the client's connections.
func (c *serveClient) close() { c.hc.CloseIdleConnections() }
