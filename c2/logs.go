package c2

import (
	"context"
	"errors"
	"net/http"
)

// LogsService writes to C2's logging service, where operators follow what
// algorithms do.
type LogsService service

const logPath = "/logging/log"

// Post stores entry, anything that encodes as a JSON object, as one log
// entry. It is sent once: if the connection fails after the request
// reached the server, the error is returned rather than the entry sent
// again, so C2 never holds it twice.
//
// C2 API: POST /logging/log
func (s *LogsService) Post(ctx context.Context, entry any) error {
	if entry == nil {
		return errors.New("c2: Logs.Post needs an entry: a map or struct that encodes as a JSON object")
	}
	req, err := s.client.NewRequest(ctx, http.MethodPost, logPath, entry)
	if err != nil {
		return err
	}
	_, err = s.client.Do(req, nil)
	return err
}
