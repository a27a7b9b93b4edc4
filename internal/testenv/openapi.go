package testenv

import (
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/httpapi"
	"github.com/heleket-payouts/payouts/internal/apispec"
)

var (
	specOnce sync.Once
	spec     *apispec.Spec
	specErr  error
)

// checkedClient sends requests like http.DefaultClient and fails t when an
// exchange does not match httpapi/openapi.yaml, so every integration test
// also tests the document.
func checkedClient(t *testing.T) *http.Client {
	t.Helper()
	specOnce.Do(func() { spec, specErr = apispec.Load(httpapi.OpenAPI()) })
	require.NoError(t, specErr, "httpapi/openapi.yaml")
	return &http.Client{Transport: spec.Transport(t, http.DefaultTransport)}
}
