package httpapi

import (
	"bytes"
	_ "embed"
	"net/http"
)

// openAPIDoc describes every route. A test walks the router and fails for
// any route missing here, and the integration tests check their traffic
// against it, so the document cannot drift from the code unnoticed.
//
//go:embed openapi.yaml
var openAPIDoc []byte

// OpenAPI returns the OpenAPI 3 document of the API.
func OpenAPI() []byte { return bytes.Clone(openAPIDoc) }

func (s *server) openapi(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/yaml")
	_, _ = w.Write(openAPIDoc) // the client went away; nothing left to tell it
}
