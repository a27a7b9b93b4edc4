package httpapi_test

import (
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/heleket-payouts/payouts/httpapi"
	"github.com/heleket-payouts/payouts/internal/apispec"
)

// The README's route table lists the payout's fields for readers who never
// open the OpenAPI document; every field the document has must be there.
func TestREADMEListsEveryFieldOfAPayout(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	var row string
	for _, line := range strings.Split(string(readme), "\n") {
		if strings.HasPrefix(line, "| `GET /payouts/{id}` |") {
			row = line
		}
	}
	require.NotEmpty(t, row, "README has no row for GET /payouts/{id}")

	spec, err := apispec.Load(httpapi.OpenAPI())
	require.NoError(t, err)
	schema := spec.Doc.Components.Schemas["Payout"]
	require.NotNil(t, schema)
	var missing []string
	for name := range schema.Value.Properties {
		if !strings.Contains(row, "`"+name+"`") {
			missing = append(missing, name)
		}
	}
	sort.Strings(missing)
	assert.Empty(t, missing, "fields of GET /payouts/{id} missing from the README")
}
