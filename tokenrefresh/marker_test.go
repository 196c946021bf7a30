package tokenrefresh_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bearer-go/bearer/internal/markertest"
	"github.com/bearer-go/bearer/secret"
	"github.com/bearer-go/bearer/tokenrefresh"
	"golang.org/x/oauth2"
)

// fileStores opens one new token file twice, as two processes would.
func fileStores(t *testing.T) (a, b tokenrefresh.Locker) {
	path := filepath.Join(t.TempDir(), "token.json")
	open := func() tokenrefresh.Locker {
		s, err := tokenrefresh.NewFileStore(path)
		if err != nil {
			t.Fatal(err)
		}
		var store tokenrefresh.Store = s
		l, ok := store.(tokenrefresh.Locker)
		if !ok {
			t.Skip("FileStore has no lock on this system")
		}
		return l
	}
	return open(), open()
}

func TestFileStoreUnsavedRotationKeepsTheGrant(t *testing.T) {
	markertest.UnsavedRotationKeepsTheGrant(t, fileStores)
}

func TestFileStoreDeadHolderIsWaitedForBounded(t *testing.T) {
	markertest.DeadHolderIsWaitedForBounded(t, fileStores)
}

// A record with a rotation marker is format 3 and keeps the marker; one
// of an older format that names a marker has none (no version wrote it).
func TestEntryRecordKeepsTheMarker(t *testing.T) {
	since := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	e := tokenrefresh.Entry{Token: secret.New(&oauth2.Token{AccessToken: "a", RefreshToken: "r"}), Lineage: "l", InDoubt: true,
		Rotating: "0123456789abcdef", RotatingSince: since}
	data, err := e.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"format":3`) {
		t.Errorf("a record with a marker is not format 3")
	}
	var got tokenrefresh.Entry
	if err := got.UnmarshalBinary(data); err != nil {
		t.Fatal(err)
	}
	if got.Rotating != e.Rotating || !got.RotatingSince.Equal(since) || !got.InDoubt {
		t.Errorf("round trip = %+v; want the marker and the doubt kept", got)
	}
	for _, rec := range []string{`{"format":1,"access_token":"a","rotating":"x"}`, `{"format":2,"access_token":"a","in_doubt":true,"rotating":"x"}`} {
		var old tokenrefresh.Entry
		if err := old.UnmarshalBinary([]byte(rec)); err != nil || old.Rotating != "" {
			t.Errorf("UnmarshalBinary(%s) = %v with marker %q; want no error and no marker", rec, err, old.Rotating)
		}
	}
	e.Rotating = ""
	if data, _ := e.MarshalBinary(); !strings.Contains(string(data), `"format":2`) || strings.Contains(string(data), "rotating") {
		t.Errorf("a record in doubt without a marker is not format 2 without a marker")
	}
}
