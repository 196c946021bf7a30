package tokenrefresh_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/bearer-go/bearer/secret"
	"github.com/bearer-go/bearer/tokenrefresh"
	"golang.org/x/oauth2"
)

// entry returns an entry holding the access token tok.
func entry(tok string) *tokenrefresh.Entry {
	return &tokenrefresh.Entry{Token: secret.New(&oauth2.Token{AccessToken: tok, RefreshToken: "r-" + tok}), Obtained: epoch, Lineage: "L"}
}

// tempFiles returns the names of the temporary files of the token file
// base in dir.
func tempFiles(t *testing.T, dir, base string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, de := range des {
		if strings.HasPrefix(de.Name(), "."+base+".tmp-") {
			out = append(out, de.Name())
		}
	}
	return out
}

func TestFileStoreRefusesANewerFormatAndSaysToUpgrade(t *testing.T) {
	const secret = "format-99-token-0123456789"
	path := filepath.Join(t.TempDir(), "token.json")
	os.WriteFile(path, []byte(`{"format":99,"access_token":"`+secret+`","refresh_token":"`+secret+`"}`), 0o600)
	fs, _ := tokenrefresh.NewFileStore(path)
	_, err := fs.Load(context.Background())
	var fe *tokenrefresh.FormatError
	if !errors.As(err, &fe) || fe.Format != 99 {
		t.Fatalf("Load() of a format 99 file = %v; want a *FormatError for format 99", err)
	}
	msg := err.Error()
	for _, want := range []string{path, "format 99", "reads formats 1 to 3", "upgrade github.com/bearer-go/bearer"} {
		if !strings.Contains(msg, want) {
			t.Errorf("Load() of a format 99 file = %q; want it to say %q", msg, want)
		}
	}
	if strings.Contains(msg, secret) {
		t.Errorf("Load() of a format 99 file quotes the token: %q", msg)
	}
}

func TestEntryRecordFormatIsChecked(t *testing.T) {
	const secret = "a-token-0123456789"
	tests := []struct {
		record    string
		newer     int // the FormatError's format; 0: a bad record
		wantError bool
	}{
		{`{"format":1,"access_token":"` + secret + `"}`, 0, false},
		{`{"format":2,"access_token":"` + secret + `","in_doubt":true}`, 0, false},
		{`{"format":3,"access_token":"` + secret + `","rotating":"0123456789abcdef"}`, 0, false},
		{`{"format":4,"access_token":"` + secret + `"}`, 4, true},
		{`{"format":99,"token":{"access":"` + secret + `"}}`, 99, true}, // a newer shape
		{`{"access_token":"` + secret + `"}`, 0, true},                  // no format: not ours
		{`{"format":0,"access_token":"` + secret + `"}`, 0, true},
		{`{"format":"1","access_token":"` + secret + `"}`, 0, true},
	}
	for _, tt := range tests {
		var e tokenrefresh.Entry
		err := e.UnmarshalBinary([]byte(tt.record))
		var fe *tokenrefresh.FormatError
		switch {
		case (err != nil) != tt.wantError:
			t.Errorf("UnmarshalBinary(%q) = %v; want error: %v", tt.record, err, tt.wantError)
		case tt.newer != 0 && (!errors.As(err, &fe) || fe.Format != tt.newer):
			t.Errorf("UnmarshalBinary(%q) = %v; want a *FormatError for format %d", tt.record, err, tt.newer)
		case tt.newer == 0 && errors.As(err, &fe):
			t.Errorf("UnmarshalBinary(%q) = %v; want a bad record, not a newer format", tt.record, err)
		case err != nil && strings.Contains(err.Error(), secret):
			t.Errorf("UnmarshalBinary(%q) = %v; quotes the token", tt.record, err)
		}
	}
}

// symlink makes link point to target, or skips where the system or the
// user may not make links.
func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Skipf("cannot make a symbolic link here: %v", err)
	}
}

// wantSymlinkError fails unless err names path as a link to remove.
func wantSymlinkError(t *testing.T, what string, err error, path string) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "symbolic link") || !strings.Contains(err.Error(), "remove the link") {
		t.Errorf("%s = %v; want an error that names %s as a symbolic link to remove", what, err, path)
	}
}

func TestFileStoreNeverFollowsASymlinkToTheTokenFile(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	target := filepath.Join(dir, "elsewhere.json")
	data, _ := entry("kept-elsewhere").MarshalBinary()
	os.WriteFile(target, data, 0o600)
	path := filepath.Join(dir, "token.json")
	symlink(t, target, path)
	fs, _ := tokenrefresh.NewFileStore(path)

	_, err := fs.Load(ctx)
	wantSymlinkError(t, "Load() through a link", err, path)
	err = fs.Save(ctx, entry("new"))
	wantSymlinkError(t, "Save() over a link", err, path)
	if got, _ := os.ReadFile(target); !bytes.Equal(got, data) {
		t.Errorf("the link's target changed to %q", got)
	}

	dangling := filepath.Join(dir, "dangling.json")
	nowhere := filepath.Join(dir, "nowhere.json")
	symlink(t, nowhere, dangling)
	fs, _ = tokenrefresh.NewFileStore(dangling)
	_, err = fs.Load(ctx)
	wantSymlinkError(t, "Load() through a dangling link", err, dangling)
	err = fs.Save(ctx, entry("new"))
	wantSymlinkError(t, "Save() over a dangling link", err, dangling)
	if _, err := os.Lstat(nowhere); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a file was created where the dangling link points: %v", err)
	}
}

func TestSaveRefusesADirectoryAtThePath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "token.json")
	os.Mkdir(path, 0o700)
	fs, _ := tokenrefresh.NewFileStore(path)
	err := fs.Save(context.Background(), entry("new"))
	if err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("Save() over a directory = %v; want an error saying it is not a regular file", err)
	}
	if _, err := fs.Load(context.Background()); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("Load() of a directory = %v; want an error saying it is not a regular file", err)
	}
}

// Goroutines saving at once, each Save cleaning up after the others,
// never fail and never lose the file: a live writer's temporary file is
// never removed.
func TestConcurrentSavesNeverFailAndLeaveNoTemporaryFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "token.json")
	const writers, saves = 8, 25
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fs, _ := tokenrefresh.NewFileStore(path)
			for i := range saves {
				if err := fs.Save(context.Background(), entry(strings.Repeat("w", w+1))); err != nil {
					t.Errorf("writer %d, save %d: %v", w, i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if left := tempFiles(t, dir, "token.json"); len(left) != 0 {
		t.Errorf("after %d concurrent saves, temporary files are left: %v", writers*saves, left)
	}
	fs, _ := tokenrefresh.NewFileStore(path)
	if _, err := fs.Load(context.Background()); err != nil {
		t.Errorf("Load() after concurrent saves = %v", err)
	}
}
