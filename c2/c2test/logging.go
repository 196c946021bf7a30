package c2test

import (
	"encoding/json"
	"net/http"
	"slices"
	"time"
)

// LogEntry is one entry a client posted to POST /logging/log.
type LogEntry struct {
	// ID is the entry's id: 1 for the first entry, then counting up.
	ID int

	// Body is the posted JSON object, compacted.
	Body json.RawMessage

	// IdempotencyKey is the request's Idempotency-Key header, if any. The
	// fake stores every entry, duplicates included, so tests can count them.
	IdempotencyKey string

	// Received is when the fake stored the entry, on [Options.Now].
	Received time.Time
}

// Logs returns a copy of the entries stored so far, oldest first.
func (s *Server) Logs() []LogEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Clone(s.logs)
	for i := range out {
		out[i].Body = slices.Clone(out[i].Body)
	}
	return out
}

// handleLog serves POST /logging/log: the body, a JSON object, is stored and
// answered 201 with an "id" field added.
func (s *Server) handleLog(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.authenticate(w, r); !ok {
		return
	}
	obj, body, ok := readObject(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	s.nextID++
	id := s.nextID
	s.logs = append(s.logs, LogEntry{
		ID:             id,
		Body:           body,
		IdempotencyKey: r.Header.Get("Idempotency-Key"),
		Received:       s.now(),
	})
	s.mu.Unlock()
	obj["id"] = id
	writeJSON(w, http.StatusCreated, obj)
}
