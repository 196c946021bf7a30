package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bearer-go/bearer/internal/fakec2"
	"github.com/bearer-go/bearer/internal/syncbuf"
	"github.com/redis/go-redis/v9"
)

func TestParseStore(t *testing.T) {
	tests := []struct {
		spec     string
		path     string // want a state file here, or
		addr     string // a Redis at addr,
		db       int    // database db,
		key      string // key key,
		password string // and this password
		tls      bool
		describe string // String()
	}{
		{spec: "/var/lib/c2/state.json", path: "/var/lib/c2/state.json", describe: "/var/lib/c2/state.json"},
		{spec: "state.json", path: "state.json", describe: "state.json"},
		{spec: "file:///var/lib/c2/state.json", path: "/var/lib/c2/state.json", describe: "/var/lib/c2/state.json"},
		{spec: "file://localhost/var/lib/c2/state.json", path: "/var/lib/c2/state.json", describe: "/var/lib/c2/state.json"},
		{spec: "redis://127.0.0.1:6379/2?key=bearer:c2:algo", addr: "127.0.0.1:6379", db: 2, key: "bearer:c2:algo",
			describe: "redis://127.0.0.1:6379/2 key=bearer:c2:algo"},
		{spec: "redis://redis.internal?key=k", addr: "redis.internal:6379", key: "k", describe: "redis://redis.internal:6379/0 key=k"},
		{spec: "rediss://:s3cret@redis.example:6380/0?key=k&dial_timeout=3s", addr: "redis.example:6380", key: "k", password: "s3cret", tls: true,
			describe: "rediss://redis.example:6380/0 key=k"},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			s, err := parseStore(tt.spec)
			if err != nil {
				t.Fatalf("parseStore(%q) = %v", tt.spec, err)
			}
			if got := s.String(); got != tt.describe {
				t.Errorf("parseStore(%q).String() = %q; want %q", tt.spec, got, tt.describe)
			}
			if tt.path != "" {
				if s.path != tt.path || s.redis != nil {
					t.Errorf("parseStore(%q) = file %q, redis %v; want file %q", tt.spec, s.path, s.redis != nil, tt.path)
				}
				return
			}
			switch {
			case s.redis == nil:
				t.Fatalf("parseStore(%q) = file %q; want Redis", tt.spec, s.path)
			case s.redis.Addr != tt.addr || s.redis.DB != tt.db || s.key != tt.key || s.redis.Password != tt.password || (s.redis.TLSConfig != nil) != tt.tls:
				t.Errorf("parseStore(%q) = addr %q db %d key %q tls %v; want %q %d %q %v (and the password)",
					tt.spec, s.redis.Addr, s.redis.DB, s.key, s.redis.TLSConfig != nil, tt.addr, tt.db, tt.key, tt.tls)
			}
		})
	}
}

func TestParseStoreErrors(t *testing.T) {
	tests := []struct{ spec, want string }{
		{"", "-store is empty"},
		{"redis://127.0.0.1:6379/0", "needs ?key=NAME"},
		{"redis://127.0.0.1:6379/0?key=+", "needs ?key=NAME"},
		{"redis://:s3cret@127.0.0.1:6379/0", "needs ?key=NAME"},
		{"redis://:s3cret@127.0.0.1:6379/zero?key=k", "invalid database number"},
		{"redis://127.0.0.1:6379/0?key=k&colour=blue", "unexpected option: colour"},
		{"ftp://example.com/state.json", `scheme "ftp"`},
		{"file://example.com/state.json", "three slashes"},
		{"file://", "absolute path"},
		{"file:///state.json?x=1", "no query"},
		{"redis://[::1", "not a valid URL"},
	}
	for _, tt := range tests {
		_, err := parseStore(tt.spec)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("parseStore(%q) = %v; want an error mentioning %q", tt.spec, err, tt.want)
			continue
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("parseStore(%q) = %v: the error quotes the password", tt.spec, err)
		}
	}
}

// A Redis that cannot be reached stops the sidecar at start, with a
// message that says so: the token it holds may be the only live one.
func TestUnreachableRedisFailsAtStart(t *testing.T) {
	e := setup(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	out := filepath.Join(t.TempDir(), "tok")
	logs, err := runFor(t, []string{"-root", e.root, "-out", out, "-store", "redis://" + addr + "/0?key=k"}, map[string]string{"C2_TOKEN": e.token})
	if err == nil || !strings.Contains(err.Error(), "check that Redis is reachable") {
		t.Fatalf("run with Redis down = %v; want an error saying Redis is unreachable; logs:\n%s", err, logs)
	}
	if st := e.fake.Stats(); st.Rotations != 0 {
		t.Errorf("the sidecar rotated %d times without its store; want 0", st.Rotations)
	}
	e.noTokenIn(t, logs+err.Error())
}

// redisAddrEnv names the Redis server the tests share, as host:port.
const redisAddrEnv = "BEARER_REDIS_ADDR"

// sharedRedis returns the address of the Redis in redisAddrEnv, or skips.
func sharedRedis(t *testing.T) string {
	t.Helper()
	addr := os.Getenv(redisAddrEnv)
	if addr == "" {
		t.Skipf("%s is not set: start a Redis (redis-server --port 6390 --bind 127.0.0.1 --save '' --daemonize yes) and set %s=127.0.0.1:6390 to run the sidecars on Redis",
			redisAddrEnv, redisAddrEnv)
	}
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: time.Second})
	t.Cleanup(func() { c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Skipf("the Redis at %s=%s is unreachable (%v): start it, or unset %s", redisAddrEnv, addr, err, redisAddrEnv)
	}
	var b [6]byte
	rand.Read(b[:])
	key := "bearer-test:c2-keepalive:" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		c.Del(ctx, key, key+":lock")
	})
	return "redis://" + addr + "/0?key=" + key
}

// rotationTimes records when the fake answered each rotation.
type rotationTimes struct {
	mu    sync.Mutex // guards times
	times []time.Time
}

func (r *rotationTimes) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		h.ServeHTTP(w, req)
		if req.Method == http.MethodPut && strings.HasPrefix(req.URL.Path, fakec2.TokensPathPrefix) {
			r.mu.Lock()
			r.times = append(r.times, time.Now())
			r.mu.Unlock()
		}
	})
}

func (r *rotationTimes) get() []time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]time.Time(nil), r.times...)
}

// eventually polls cond, a counter or a file the sidecars write, until it
// holds or waitLimit passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Two sidecars given the same token and the same Redis key keep one token
// alive together: the first to take the lock rotates the freshly issued
// token at once and the other adopts it; then exactly one of them rotates
// it each interval, and both write the same live token to their files.
func TestSidecarsShareOneTokenThroughRedis(t *testing.T) {
	store := sharedRedis(t)
	const interval = time.Second
	const scheduled = 3 // rotations after the immediate one
	fake := fakec2.New(fakec2.Options{})
	var rot rotationTimes
	srv := httptest.NewServer(rot.wrap(fake))
	t.Cleanup(srv.Close)
	token := fake.IssueToken()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := t.TempDir()
	outs := []string{filepath.Join(dir, "a"), filepath.Join(dir, "b")}
	logs := make([]syncbuf.Buffer, len(outs))
	errs := make(chan error, len(outs))
	for i, out := range outs {
		args := []string{"-root", srv.URL, "-out", out, "-store", store, "-interval", interval.String()}
		getenv := func(k string) string { return map[string]string{"C2_TOKEN": token}[k] }
		go func() { errs <- run(ctx, args, getenv, &logs[i]) }()
	}
	eventually(t, "1 + 3 rotations", func() bool { return fake.Stats().Rotations >= 1+scheduled })
	e := &env{fake: fake, token: token}
	chain := e.chain()
	last := chain[len(chain)-1]
	for _, out := range outs {
		eventually(t, out+" holds the newest token", func() bool {
			data, _ := os.ReadFile(out)
			return strings.TrimSpace(string(data)) == last
		})
	}
	cancel()
	for range outs {
		select {
		case err := <-errs:
			if err != nil {
				t.Errorf("a sidecar ended with %v", err)
			}
		case <-time.After(waitLimit):
			t.Fatalf("a sidecar did not stop within %v", waitLimit)
		}
	}

	st := fake.Stats()
	if st.Rotations != 1+scheduled || st.Unauthorized != 0 {
		t.Errorf("the fake saw %d rotations and %d 401s; want %d and 0", st.Rotations, st.Unauthorized, 1+scheduled)
	}
	times := rot.get()
	for i := 1; i < len(times); i++ {
		// A gap under 0.9 interval would be two rotations in one interval.
		if g := times[i].Sub(times[i-1]); g < interval*9/10-10*time.Millisecond || g > interval*3/2 {
			t.Errorf("rotation %d came %v after the one before; want one per interval of %v", i+1, g, interval)
		}
	}
	for i, out := range outs {
		if tok := checkTokenFile(t, out); tok != last || !fake.Valid(tok) {
			t.Errorf("sidecar %d's file does not hold the newest, live token", i)
		}
		if !strings.Contains(logs[i].String(), "store=\"redis://") {
			t.Errorf("sidecar %d does not log its store; logs:\n%s", i, logs[i].String())
		}
		e.noTokenIn(t, logs[i].String())
	}
}
