package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/fsdialer/dialer/store"
)

// apiError is an error as the API reports it.
type apiError struct {
	status  int
	Code    string `json:"code"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

func (e *apiError) Error() string {
	if e.Field != "" {
		return e.Field + ": " + e.Message
	}
	return e.Message
}

var errUnauthorized = &apiError{status: http.StatusUnauthorized, Code: "unauthorized",
	Message: "a valid bearer token is required (Authorization: Bearer <http.token>)"}

func invalid(field, format string, args ...any) *apiError {
	return &apiError{status: http.StatusUnprocessableEntity, Code: "invalid", Field: field, Message: fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) *apiError {
	return &apiError{status: http.StatusNotFound, Code: "not_found", Message: fmt.Sprintf(format, args...)}
}

func conflict(field, format string, args ...any) *apiError {
	return &apiError{status: http.StatusConflict, Code: "conflict", Field: field, Message: fmt.Sprintf(format, args...)}
}

func badRequest(field, format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, Code: "bad_request", Field: field, Message: fmt.Sprintf(format, args...)}
}

func tooLarge(limit int64) *apiError {
	return &apiError{status: http.StatusRequestEntityTooLarge, Code: "too_large",
		Message: fmt.Sprintf("the body is over %d bytes (http.max_body)", limit)}
}

// asAPIError maps an error to what the client sees: the API's own errors
// as they are, the store's refusals as 404/409/422, anything else 500.
func asAPIError(err error, maxBody int64) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return tooLarge(maxBody)
	}
	var fe *store.FieldError
	if errors.As(err, &fe) {
		if fe.Conflict {
			return conflict(fe.Field, "%s", fe.Reason)
		}
		return invalid(fe.Field, "%s", fe.Reason)
	}
	switch {
	case errors.Is(err, store.ErrCalling):
		return conflict("", "the member is in a call: try again when it ends")
	case errors.Is(err, store.ErrNotFound):
		return notFound("%v", err)
	}
	return &apiError{status: http.StatusInternalServerError, Code: "internal", Message: "internal error: " + err.Error()}
}

func writeError(w http.ResponseWriter, e *apiError) {
	writeJSON(w, e.status, struct {
		Error *apiError `json:"error"`
	}{e})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

// readBody reads a JSON request body whole (the size limit applies).
func readBody(r *http.Request) ([]byte, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return nil, &apiError{status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type",
				Message: fmt.Sprintf("Content-Type %q: send application/json", ct)}
		}
	}
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, badRequest("", "the body is empty: a JSON object is required")
	}
	return b, nil
}

// decodeStrict decodes one JSON value into v, refusing unknown fields and
// trailing data; errors name the field.
func decodeStrict(b []byte, v any, prefix string) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err, prefix)
	}
	if dec.More() {
		return badRequest(prefix, "unexpected data after the JSON value")
	}
	return nil
}

// jsonError turns a decoding error into an API error naming the field.
func jsonError(err error, prefix string) *apiError {
	join := func(f string) string {
		switch {
		case prefix == "":
			return f
		case f == "":
			return prefix
		}
		return prefix + "." + f
	}
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return badRequest(prefix, "invalid JSON at byte %d: %v", se.Offset, se)
	case errors.As(err, &te):
		return invalid(join(te.Field), "expected %s, got %s", jsonType(te.Type.Kind().String()), te.Value)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return badRequest(prefix, "the JSON body ends too early")
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		f, _ := strconv.Unquote(name)
		return invalid(join(f), "unknown field")
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return tooLarge(mbe.Limit)
	}
	return badRequest(prefix, "%v", err)
}

func jsonType(kind string) string {
	switch kind {
	case "bool":
		return "a boolean"
	case "string":
		return "a string"
	case "slice", "array":
		return "an array"
	case "map", "struct":
		return "an object"
	case "ptr":
		return "a value"
	}
	return "a number"
}
