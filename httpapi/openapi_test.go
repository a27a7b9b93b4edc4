package httpapi_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/access"
	"github.com/heleket-payouts/payouts/httpapi"
	"github.com/heleket-payouts/payouts/internal/apispec"
)

// routes walks the router as built for production.
func routes(t *testing.T) []string {
	t.Helper()
	h := httpapi.New(httpapi.Deps{Logger: slog.New(slog.DiscardHandler)})
	mux, ok := h.(chi.Routes)
	require.True(t, ok, "httpapi.New must return the chi router (got %T) so its routes can be checked", h)
	var out []string
	require.NoError(t, chi.Walk(mux, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		out = append(out, method+" "+route)
		return nil
	}))
	slices.Sort(out)
	return out
}

func TestEveryRouteIsInTheOpenAPIDocumentAndNothingElse(t *testing.T) {
	spec, err := apispec.Load(httpapi.OpenAPI())
	require.NoError(t, err, "httpapi/openapi.yaml must be a valid OpenAPI 3 document")
	documented := spec.Operations()
	slices.Sort(documented)
	served := routes(t)
	require.NotEmpty(t, served)
	assert.Empty(t, without(served, documented), "routes served but not documented: add them to httpapi/openapi.yaml")
	assert.Empty(t, without(documented, served), "operations in httpapi/openapi.yaml that no route serves")
}

func without(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

func TestOpenAPIDocumentIsServedWithoutAuth(t *testing.T) {
	srv := httptest.NewServer(httpapi.New(httpapi.Deps{
		AdminTokens: []access.Credential{access.NewCredential("alice", "a-token-of-sixteen-chars", nil, time.Time{})}, Logger: slog.New(slog.DiscardHandler),
	}))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/openapi.yaml")
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "application/yaml", resp.Header.Get("Content-Type"))
	assert.Equal(t, httpapi.OpenAPI(), body)
}
