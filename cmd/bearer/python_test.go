package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// pythonRotations is how many rotations the Python program lives through.
const pythonRotations = 10

// python returns a Python 3 interpreter that can import requests, or
// skips: $BEARER_PYTHON, else python3 on the PATH, else Debian's
// /usr/bin/python3 (with python3-requests, which .ci/run installs).
func python(t *testing.T) string {
	t.Helper()
	candidates := []string{os.Getenv("BEARER_PYTHON"), "python3", "/usr/bin/python3"}
	for _, c := range candidates {
		if c == "" {
			continue
		}
		path, err := exec.LookPath(c)
		if err != nil {
			continue
		}
		if exec.Command(path, "-c", "import requests").Run() == nil {
			return path
		}
	}
	t.Skip("no python3 that can import requests: install Debian's python3-requests (apt-get install -y python3-requests), or set BEARER_PYTHON")
	return ""
}

// A Python program with no token handling of its own calls the fake C2
// through the proxy and with tokens from /v1/tokens while serve rotates
// the token 10 times, once a second with a 400 ms fence: no call fails.
func TestPythonThroughServeAcrossRotations(t *testing.T) {
	py := python(t)
	e := newC2(t)
	keyFile := filepath.Join(t.TempDir(), "key")
	cfg := e.config(t, `listen = "127.0.0.1:0"`+"\nkey_file = \""+keyFile+"\"",
		`store = "`+filepath.Join(e.dir, "state.json")+`"`, `interval = "1s"`, `fence = "400ms"`)
	p := start(t, nil, "serve", "-config", cfg)
	base := "http://" + p.listenAddr()

	out, err := exec.Command(py, "testdata/client.py", base, keyFile, e.srv.URL, "10", "50").Output()
	if err != nil {
		t.Fatalf("client.py: %v; serve's logs:\n%s", err, p.logs.String())
	}
	var got struct {
		Calls     int     `json:"calls"`
		Failures  [][]any `json:"failures"`
		Tokens    int     `json:"tokens"`
		Rotations int     `json:"rotations"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("client.py printed %q: %v", out, err)
	}
	t.Logf("client.py (%s): %d calls across %d rotations, %d tokens seen, %d failed; the fake answered %d 401s",
		py, got.Calls, got.Rotations, got.Tokens, len(got.Failures), e.fake.Stats().Unauthorized)
	if got.Rotations < pythonRotations || len(got.Failures) != 0 || got.Tokens < pythonRotations {
		t.Errorf("client.py = %+v; want %d rotations, no failed call, a token per rotation", got, pythonRotations)
	}
	// A proxied request that reaches C2 after the rotation, because it
	// took longer than the fence (a loaded machine), meets a 401 and is
	// replayed: it is not a failed call, and is only counted above.
	if err := p.stop(); err != nil {
		t.Errorf("serve after SIGTERM: %v", err)
	}
	e.noTokenIn(t, "serve's logs", p.logs.String())
}
