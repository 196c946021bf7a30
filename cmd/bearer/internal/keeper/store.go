package keeper

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/bearer-go/bearer/secret"
	"github.com/bearer-go/bearer/tokenrefresh"
	"github.com/bearer-go/bearer/tokenrefresh/redisstore"
	"github.com/redis/go-redis/v9"
)

// storeSpec is where a token's lineage is kept: a state file, or a
// key in Redis. Exactly one of path and redis is set.
type storeSpec struct {
	path  string         // a FileStore's file
	redis *redis.Options // the Redis to connect to, with
	key   string         // the key that holds the lineage
}

// storeUsage is the store flag's help, and the end of its errors.
const storeUsage = "a path or file:///path (a state file), or redis://host:port/db?key=NAME (rediss:// for TLS; the password in store_password_file)"

// parseStore reads a store: a path or a file:// URL names a state file;
// a redis:// or rediss:// URL names a Redis and, in its key parameter, the
// key that holds the lineage (the same for every sidecar that shares the
// token). The other query parameters are go-redis's (see redis.ParseURL).
// Its errors never quote a password.
func parseStore(spec string) (*storeSpec, error) {
	scheme, _, isURL := strings.Cut(spec, "://")
	if !isURL {
		if spec == "" {
			return nil, fmt.Errorf("store is empty: want %s", storeUsage)
		}
		return &storeSpec{path: spec}, nil
	}
	u, err := url.Parse(spec)
	if err != nil {
		return nil, fmt.Errorf("store is not a valid URL: want %s", storeUsage)
	}
	switch strings.ToLower(scheme) {
	case "file":
		return parseFileURL(u)
	case "redis", "rediss":
		return parseRedisURL(u)
	}
	return nil, fmt.Errorf("store has the scheme %q: want %s", scheme, storeUsage)
}

// parseFileURL reads file:///path (or file://localhost/path).
func parseFileURL(u *url.URL) (*storeSpec, error) {
	switch {
	case u.Host != "" && u.Host != "localhost":
		return nil, fmt.Errorf("store file://%s/…: a state file must be on this machine: write file:///path, with three slashes", u.Host)
	case u.Path == "" || !filepath.IsAbs(u.Path):
		return nil, fmt.Errorf("store file:// needs an absolute path, as in file:///var/lib/bearer/c2.json; give a relative path without file://")
	case u.RawQuery != "" || u.Fragment != "":
		return nil, fmt.Errorf("store %s: a file URL takes no query or fragment", u.Path)
	}
	return &storeSpec{path: u.Path}, nil
}

// parseRedisURL reads redis://host:port/db?key=NAME.
func parseRedisURL(u *url.URL) (*storeSpec, error) {
	q := u.Query()
	key := strings.TrimSpace(q.Get("key"))
	if key == "" {
		return nil, fmt.Errorf("store %s needs ?key=NAME: the Redis key that holds the token lineage, the same for every serve that shares it, such as ?key=bearer:c2:my-algorithm",
			redacted(u))
	}
	q.Del("key")
	rest := *u
	rest.RawQuery = q.Encode()
	opts, err := redis.ParseURL(rest.String())
	if err != nil {
		// go-redis's message names a bad option or number, never the password.
		return nil, fmt.Errorf("store %s: %v", redacted(u), err)
	}
	return &storeSpec{redis: opts, key: key}, nil
}

// redacted returns u for messages and logs: without its password, and for
// Redis without its query.
func redacted(u *url.URL) string {
	r := *u
	r.User = nil
	r.RawQuery = ""
	return r.String()
}

// String describes the store for logs, without a password.
func (s *storeSpec) String() string {
	if s.redis == nil {
		return s.path
	}
	scheme := "redis"
	if s.redis.TLSConfig != nil {
		scheme = "rediss"
	}
	return fmt.Sprintf("%s://%s/%d key=%s", scheme, s.redis.Addr, s.redis.DB, s.key)
}

// open returns the store and the function that releases it, to call once
// the client using it is closed. It does not contact Redis: the client's
// start does, and fails if Redis cannot be read. password, if set,
// replaces the URL's.
func (s *storeSpec) open(password secret.String) (tokenrefresh.Store, func(), error) {
	if s.redis == nil {
		fs, err := tokenrefresh.NewFileStore(s.path)
		if err != nil {
			return nil, nil, err
		}
		return fs, func() {}, nil
	}
	opts := *s.redis
	opts.ContextTimeoutEnabled = true // so that a Redis that hangs holds nothing past its deadline
	if !password.IsZero() {
		opts.Password = password.Reveal()
	}
	rdb := redis.NewClient(&opts)
	store, err := redisstore.New(rdb, s.key)
	if err != nil {
		rdb.Close()
		return nil, nil, err
	}
	return store, func() { rdb.Close() }, nil
}

// redisLogger sends go-redis's own messages (a pool that cannot dial) to
// the command's structured, redacting log instead of its plain stderr
// lines.
type redisLogger struct{ log *slog.Logger }

func (l redisLogger) Printf(ctx context.Context, format string, v ...any) {
	l.log.Warn("redis: " + fmt.Sprintf(format, v...))
}

// LogRedisTo makes go-redis log through log. go-redis has one logger per
// process; the command sets it once, at start.
func LogRedisTo(log *slog.Logger) { redis.SetLogger(redisLogger{log}) }
