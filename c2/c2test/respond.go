package c2test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
)

// writeJSON answers status with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status, body = http.StatusInternalServerError, []byte(`{"detail":"Internal Server Error"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(body, '\n'))
}

// writeDetail answers status with a FastAPI error: {"detail": detail}.
func writeDetail(w http.ResponseWriter, status int, detail string) {
	writeJSON(w, status, map[string]string{"detail": detail})
}

// fieldError is one entry of a FastAPI (pydantic 2) validation error.
type fieldError struct {
	Type  string `json:"type"`
	Loc   []any  `json:"loc"`
	Msg   string `json:"msg"`
	Input any    `json:"input"`
}

// writeValidation answers 422 with FastAPI's validation error shape:
// {"detail": [{"type", "loc", "msg", "input"}, ...]}.
func writeValidation(w http.ResponseWriter, errs []fieldError) {
	writeJSON(w, http.StatusUnprocessableEntity, map[string][]fieldError{"detail": errs})
}

// missing is the validation error of an absent required parameter.
func missing(where, name string) fieldError {
	return fieldError{Type: "missing", Loc: []any{where, name}, Msg: "Field required"}
}

// readObject reads r's body as a JSON object, keeping numbers exact. It
// returns the object and the body compacted. On failure it answers 413 (a
// body over [MaxBodyBytes]) or 422 and returns false.
func readObject(w http.ResponseWriter, r *http.Request) (map[string]any, []byte, bool) {
	body, err := io.ReadAll(r.Body)
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		writeDetail(w, http.StatusRequestEntityTooLarge, "Request body too large")
		return nil, nil, false
	case err != nil:
		writeDetail(w, http.StatusBadRequest, "Could not read the request body")
		return nil, nil, false
	}
	obj, err := decodeObject(body)
	if err != nil {
		writeValidation(w, []fieldError{bodyError(err)})
		return nil, nil, false
	}
	var compact bytes.Buffer
	json.Compact(&compact, body) // cannot fail: body decoded above
	return obj, compact.Bytes(), true
}

// errNotObject is a body that is JSON but not an object.
var errNotObject = errors.New("not a JSON object")

// decodeObject decodes a JSON object, keeping numbers as [json.Number].
func decodeObject(data []byte) (map[string]any, error) {
	if !json.Valid(data) {
		return nil, errors.New("invalid JSON")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, errNotObject
	}
	return obj, nil
}

// bodyError is the validation error FastAPI answers for a bad body.
func bodyError(err error) fieldError {
	if errors.Is(err, errNotObject) {
		return fieldError{Type: "model_attributes_type", Loc: []any{"body"},
			Msg: "Input should be a valid dictionary or object to extract fields from"}
	}
	return fieldError{Type: "json_invalid", Loc: []any{"body", 0}, Msg: "JSON decode error"}
}
