package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"

	"github.com/heleket-payouts/payouts/batch"
)

// maxJSONDepth bounds the nesting of a request body: no request needs more
// than a few levels, and the bound keeps the duplicate-key walk cheap.
const maxJSONDepth = 32

// decodeJSON reads a JSON body strictly: one value, known fields only,
// no key twice, bounded size, so a typo is a 400 instead of a silently
// ignored field. Duplicate keys are refused because parsers disagree on
// which one wins, and a proxy or log that reads the first would see
// another request than the one executed.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) (string, bool) {
	if ct := r.Header.Get("Content-Type"); ct != "" && !isJSON(ct) {
		return "Content-Type must be application/json", false
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return "request body too large (max " + byteSize(maxBody) + ")", false
		}
		return "could not read the request body", false
	}
	if msg := strictJSON(data, v); msg != "" {
		return msg, false
	}
	return "", true
}

// strictJSON decodes data into v with decodeJSON's rules; it returns what
// is wrong, or "".
func strictJSON(data []byte, v any) string {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return "invalid JSON body: " + describeJSONError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return "invalid JSON body: more than one JSON value"
	}
	return duplicateKeyProblem(data)
}

// duplicateKeyProblem explains a repeated key (or too deep a nesting) in
// data, which must be valid JSON; "" when there is none.
func duplicateKeyProblem(data []byte) string {
	key, found, err := duplicateKey(data)
	switch {
	case err != nil:
		return "invalid JSON body: " + err.Error()
	case found:
		return fmt.Sprintf("invalid JSON body: key %q appears more than once in an object", truncateKey(key))
	}
	return ""
}

// describeJSONError names the field and the JSON type it needs instead of
// the Go types behind it.
func describeJSONError(err error) string {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) && typeErr.Field != "" {
		return fmt.Sprintf("%s must be %s, not %s", typeErr.Field, jsonKind(typeErr.Type), typeErr.Value)
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	default:
		return "a number"
	}
}

// truncateKey keeps an echoed key short; it is the caller's own input.
func truncateKey(k string) string {
	if len(k) > 40 {
		return k[:40] + "…"
	}
	return k
}

// jsonFrame is one open object or array during duplicateKey's walk.
type jsonFrame struct {
	keys    map[string]bool // nil for an array
	wantKey bool            // in an object: the next token is a key
}

// duplicateKey returns the first key that appears twice in one object of
// the JSON document data, and whether there is one. It walks the tokens with an explicit stack
// rather than recursion, and refuses nesting deeper than maxJSONDepth.
func duplicateKey(data []byte) (string, bool, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var stack []jsonFrame
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return "", false, nil
		}
		if err != nil {
			return "", false, errors.New(describeJSONError(err))
		}
		top := len(stack) - 1
		if top >= 0 && stack[top].keys != nil && stack[top].wantKey {
			key, _ := tok.(string) // in an object, the decoder only gives a string or '}' here
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:top]
				continue
			}
			if stack[top].keys[key] {
				return key, true, nil
			}
			stack[top].keys[key] = true
			stack[top].wantKey = false
			continue
		}
		if top >= 0 && stack[top].keys != nil {
			stack[top].wantKey = true // this token is the member's value
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, jsonFrame{keys: map[string]bool{}, wantKey: true})
		case json.Delim('['):
			stack = append(stack, jsonFrame{})
		case json.Delim(']'):
			stack = stack[:top]
		}
		if len(stack) > maxJSONDepth {
			return "", false, fmt.Errorf("nested more than %d levels deep", maxJSONDepth)
		}
	}
}

// isJSON reports whether a Content-Type is JSON; media types are
// case-insensitive and may carry parameters (charset).
func isJSON(ct string) bool {
	mt, _, _ := strings.Cut(ct, ";")
	return strings.EqualFold(strings.TrimSpace(mt), "application/json")
}

// batchJSONKeys applies decodeJSON's duplicate-key rule to a batch body
// that batch.Parse read as JSON; CSV has no keys to repeat.
func batchJSONKeys(contentType string, body []byte) string {
	if batch.IsCSV(contentType) {
		return ""
	}
	// The same bytes batch.Parse decoded: spaces and a BOM trimmed.
	return duplicateKeyProblem(bytes.TrimPrefix(bytes.TrimSpace(body), []byte("\ufeff")))
}
